"""What the list pages share: reading `?q=&sort=&dir=&page=&per_page=` into a `ListQuery` (a number
that is not one is refused, never guessed), and links that keep every other parameter while changing
one (sorting by a column, going to a page)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from suanli.domain.errors import InvalidInput
from suanli.services.views.lists import ListQuery, Page

PARAMS = ("q", "sort", "dir", "page", "per_page")


def _number(request: Request, key: str, default: int) -> int:
    raw = request.query_params.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(f"{key} must be a whole number", field=key)
    return int(raw)


def list_query(request: Request) -> ListQuery:
    direction = request.query_params.get("dir", "")
    if direction not in ("", "asc", "desc"):
        raise InvalidInput("dir must be asc or desc", field="dir")
    return ListQuery(search=request.query_params.get("q", ""), sort=request.query_params.get("sort", ""),
                     descending=direction != "asc", page=_number(request, "page", 1),
                     per_page=_number(request, "per_page", 25))


class Links:
    """URLs for a list page that keep the reader's filters."""

    def __init__(self, request: Request, page: Page[object]) -> None:
        self.path = request.url.path
        self.params = {k: v for k, v in request.query_params.items() if k != "lang"}
        self.page = page

    def _url(self, **changes: object) -> str:
        params = {**self.params, **{k: str(v) for k, v in changes.items()}}
        params = {k: v for k, v in params.items() if v != ""}
        return f"{self.path}?{urlencode(params)}" if params else self.path

    def to_page(self, number: int) -> str:
        return self._url(page=number)

    def sort(self, key: str) -> str:
        """Sorting by a column: the current column flips direction, another starts descending."""
        descending = not self.page.descending if self.page.sort == key else True
        return self._url(sort=key, dir="desc" if descending else "asc", page=1)

    def arrow(self, key: str) -> str:
        if self.page.sort != key:
            return ""
        return "▼" if self.page.descending else "▲"

    def aria_sort(self, key: str) -> str:
        if self.page.sort != key:
            return "none"
        return "descending" if self.page.descending else "ascending"
