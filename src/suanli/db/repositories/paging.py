"""Keyset paging shared by every list query: rows after a cursor (the last key the reader saw) in the
list's own order, so a deep page costs what the first one does (an index range, never an OFFSET scan
of everything before it). `offset` stays for old callers; `limit=None` is for internal callers that
need every row (a list with a bound must never cut silently: the edge asks for one row more than it
shows, and says there is a next page when it came)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

Q = TypeVar("Q", bound=Select[Any])


def keyset(query: Q, key: Any, *, after: int | None = None, descending: bool = False, offset: int = 0,
           limit: int | None = None) -> Q:
    """`query` ordered by `key` (ascending or descending), from after the cursor `after`."""
    query = query.order_by(key.desc() if descending else key)
    if after is not None:
        query = query.where(key < after if descending else key > after)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return query
