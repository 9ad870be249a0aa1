# Two commands on a fresh machine with Python >= 3.11 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export SUANLI_DATABASE_URL ?= sqlite:///var/suanli.db
# Installs follow the hashed lock files (requirements/*.lock, `make lock` writes them from pyproject.toml's
# ranges), so indirect dependencies never float between machines; the package itself goes on top.
PYPROJECT_HASH := $(shell cat pyproject.toml requirements/*.lock | cksum | cut -d' ' -f1)
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet
INSTALLED := $(VENV)/.installed-$(PYPROJECT_HASH)
INSTALLED_TEST := $(VENV)/.installed-test-$(PYPROJECT_HASH)

.PHONY: demo test bench lint fuzz clean wheel lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python pyproject.toml requirements/runtime.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements/runtime.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(INSTALLED_TEST): $(BIN)/python pyproject.toml requirements/test.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(INSTALLED)

lock: $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/runtime.lock
	$(BIN)/uv pip compile pyproject.toml --extra test $(LOCK_FLAGS) -o requirements/test.lock

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
