# Two commands on a fresh machine with Python >= 3.11 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export SUANLI_DATABASE_URL ?= sqlite:///var/suanli.db
PYPROJECT_HASH := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
INSTALLED := $(VENV)/.installed-$(PYPROJECT_HASH)
INSTALLED_TEST := $(VENV)/.installed-test-$(PYPROJECT_HASH)

.PHONY: demo test bench lint fuzz clean wheel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(INSTALLED_TEST): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/suanli serve --demo --host $(HOST) --port $(PORT)

test: $(INSTALLED_TEST)
	$(BIN)/pytest -q

bench: $(INSTALLED_TEST)
	$(BIN)/python bench/run.py

fuzz: $(INSTALLED_TEST)
	SUANLI_FUZZ_EXAMPLES=2000 $(BIN)/pytest -q tests/e2e -k fuzz

lint: $(INSTALLED_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/suanli/domain
	$(BIN)/lint-imports

wheel: $(BIN)/python
	$(BIN)/pip wheel --quiet --no-deps -w dist .
	@ls dist/suanli-*.whl

clean:
	rm -rf var .pytest_cache

# Every page per role, zh and en, at 390 px and 1366 px, into var/screenshots/ (needs chromium).
.PHONY: screenshots
screenshots: $(INSTALLED_TEST)
	SUANLI_SCREENSHOTS=$(CURDIR)/var/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/e2e/web/test_screenshots.py
