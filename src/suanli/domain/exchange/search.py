"""Catalogue search over normalised text: NFKC, lower case, whitespace folded. A substring match
(LIKE '%q%') on that text finds a two-character Chinese word in the middle of a sentence on SQLite and
PostgreSQL alike, which word-based full-text engines without a Chinese segmenter do not."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_QUERY = 100


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def search_text(parts: Iterable[str]) -> str:
    return normalise(" ".join(p for p in parts if p))


def like_pattern(query: str) -> str | None:
    """The LIKE pattern (escape character `\\`) for a user's query, or None for an empty one."""
    q = normalise(query)[:MAX_QUERY]
    if not q:
        return None
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
