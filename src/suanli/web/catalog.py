"""Keeps the translation catalogues in step with the code: extracts every message id from the
templates (`_()`) and the web package's Python (`_()`, `N_()`), and merges them into
`translations/<lang>/LC_MESSAGES/messages.po`, keeping translations already made. English entries
get their id as translation; Chinese entries left empty are what a translator must fill in.

    python -m suanli.web.catalog          # update both catalogues
    python -m suanli.web.catalog --check  # list ids missing a translation (exit 1 if any)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from suanli.web.i18n import LANGUAGES, TRANSLATIONS

WEB = Path(__file__).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def extract() -> list[str]:
    """Every message id in the web package, sorted, without duplicates."""
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(WEB), method_map=METHODS, keywords=KEYWORDS,
            options_map={"templates/**.html": {"trimmed": "false"}}):
        if isinstance(message, str) and message:
            found.add(message)
    return sorted(found)


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="suanli", domain="messages")
    with open(path, "rb") as handle:
        return read_po(handle, locale=lang)


def update() -> dict[str, list[str]]:
    """Merge extracted ids into both catalogues; the ids still untranslated per language."""
    ids = extract()
    missing: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        old = read(lang)
        new = Catalog(locale=lang, project="suanli", domain="messages", charset="utf-8", fuzzy=False,
                      copyright_holder="Suanli contributors", msgid_bugs_address="", creation_date=old.creation_date,
                      revision_date=old.revision_date)
        for msgid in ids:
            previous = old.get(msgid)
            text = previous.string if previous is not None and previous.string else ("" if lang != "en" else msgid)
            new.add(msgid, text)
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        with open(po_path(lang), "wb") as handle:
            write_po(handle, new, width=0, omit_header=False, sort_output=True)
        missing[lang] = [m for m in ids if not new.get(m).string]  # type: ignore[union-attr]
    return missing


def untranslated() -> dict[str, list[str]]:
    ids = extract()
    missing = {}
    for lang in LANGUAGES:
        catalog = read(lang)
        missing[lang] = [m for m in ids if not ((entry := catalog.get(m)) is not None and entry.string)]
    return missing


def main(argv: list[str]) -> int:
    missing = untranslated() if "--check" in argv else update()
    for lang, ids in missing.items():
        for msgid in ids:
            print(f"{lang}: {msgid}")
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
