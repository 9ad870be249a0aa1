"""Translations for the web UI: Babel `messages.po` catalogues for zh_CN (the default) and en, read at
run time with `babel.messages.pofile`, so an editable install needs no compile step.

Message ids are the English text. `N_()` marks strings defined in Python (state and role labels) for
extraction without translating them there; `_()` translates at render time for the request's language.
The language comes from `?lang=`, else the `suanli_lang` cookie, else zh_CN.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.requests import Request

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("zh_CN", "en")
DEFAULT = "zh_CN"
COOKIE = "suanli_lang"
_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "en": "en", "en_us": "en", "en-us": "en"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def normalise(code: str | None) -> str | None:
    return _ALIASES.get((code or "").strip().lower())


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> msgstr for one language (empty translations left out)."""
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def requested_language(request: Request) -> str | None:
    """The language asked for in this very request (`?lang=`), to be remembered in the cookie."""
    return normalise(request.query_params.get("lang"))


def language(request: Request) -> str:
    return requested_language(request) or normalise(request.cookies.get(COOKIE)) or DEFAULT


def translator(lang: str) -> Callable[[str], str]:
    table = catalogue(lang if lang in LANGUAGES else DEFAULT)

    def gettext(message: str) -> str:
        return table.get(message, message)

    return gettext


def html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh_CN" else "en"
