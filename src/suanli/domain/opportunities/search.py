"""Search terms that work for Chinese: text has no spaces between words, so a run of CJK characters is
indexed as its single characters and its overlapping character bigrams; Latin words and numbers become
lower-case words. A query's CJK runs become bigrams (a lone character stays itself), and an item matches
when it holds every term of the query: a two-character word in the middle of a sentence is found with a
plain indexed equality, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import unicodedata

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
MAX_TERM = 32


def _runs(text: str) -> list[str]:
    return _RUN.findall(unicodedata.normalize("NFKC", text).lower())


def terms(text: str) -> set[str]:
    """The terms an item's text is indexed under."""
    out: set[str] = set()
    for run in _runs(text):
        if run.isascii():
            out.add(run[:MAX_TERM])
        else:
            out.update(run)
            out.update(run[i:i + 2] for i in range(len(run) - 1))
    return out


def query_terms(query: str) -> set[str]:
    """The terms a query needs: every one must be present in an item for it to match."""
    out: set[str] = set()
    for run in _runs(query):
        if run.isascii():
            out.add(run[:MAX_TERM])
        elif len(run) == 1:
            out.add(run)
        else:
            out.update(run[i:i + 2] for i in range(len(run) - 1))
    return out
