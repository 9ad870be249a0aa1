"""The one way a list endpoint ends: at most `limit` rows, and when more exist a `Link: <…>; rel="next"`
header (RFC 8288) whose URL carries the cursor (`after=` the last row's key) and the same filters, so a
client pages on by following it and a list is never cut silently. The service was asked for
`page.probe` rows (one more than shown) to know whether the next page exists without counting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request, Response

from suanli.api.deps import Page

T = TypeVar("T")


def one_page(rows: Sequence[T], page: Page, request: Request, response: Response,
             key: Callable[[T], Any] = lambda row: row.id) -> Sequence[T]:  # type: ignore[attr-defined]
    shown = rows[:page.limit]
    if len(rows) > page.limit:
        following = request.url.remove_query_params("offset").include_query_params(
            after=key(shown[-1]), limit=page.limit)
        # A relative reference (RFC 8288 allows it): right behind any proxy that rewrites the host.
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return shown
