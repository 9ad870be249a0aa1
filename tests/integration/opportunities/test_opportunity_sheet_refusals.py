"""A malformed opportunity sheet over HTTP, on SQLite and PostgreSQL: a 422 problem naming row and
column with no item, term or audit entry kept. Before, a NUL or another control character in a cell
was kept on SQLite (and broke the XLSX export) and a generic refusal on PostgreSQL, a budget of
1e999999999999 万元 a 500, a header-only sheet a 201 with an audit event for nothing, and a CSV field
past the csv module's limit named no row."""

from __future__ import annotations

from sqlalchemy import func, select

from suanli.db.models.opportunities import OpportunityRow
from suanli.domain.opportunities.table import HEADERS
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import events_logged_or_waiting

ROW = ["C-1", "需求", "算力", "名称", "发布单位", "高新区", "场景", "", "", "10", "2026-12-31", "", "", "", "8", "100", "A100"]


def _sheet(**cells: str) -> bytes:
    row = list(ROW)
    for index, value in cells.items():
        row[int(index[1:])] = value
    return ("\n".join(",".join(r) for r in (HEADERS, row)) + "\n").encode()


MALFORMED = {  # name: (file, the detail's start, row)
    "nul in the title": (_sheet(c3="a\x00b"), "row 2, column D: the cell holds a control character (U+0000)", 2),
    "escape in the description": (_sheet(c7="a\x1bb"), "row 2, column H: the cell holds a control character", 2),
    "a budget past the decimal context": (_sheet(c9="1e999999999999"), ("row 2, column 预算（万元）: '1e999999999999' is "
                                           "not between"), 2),
    "a budget below a fen": (_sheet(c9="1e-999999999999"), ("row 2, column 预算（万元）: '1e-999999999999' is not a whole "
                              "number of fen"), 2),
    "only the header": ((",".join(HEADERS) + "\n").encode(), "the sheet has no rows below its header row", 1),
    "a field past the csv limit": (_sheet(c7="x" * 200_000), "row 2: the CSV cannot be read", 2),
}


def _audit_entries(api) -> int:  # type: ignore[no-untyped-def]
    with api.sessions() as s:
        return events_logged_or_waiting(s)


def test_a_malformed_sheet_is_a_422_naming_row_and_column_and_keeps_nothing(api) -> None:  # type: ignore[no-untyped-def]
    officer = api.user("officer", Role.PROGRAM_OFFICER, api.organisation("bureau", OrganisationType.GOVERNMENT))
    batch = api.client.post("/api/v1/opportunity-batches", json={"title": "第一批"}, headers=officer).json()["id"]
    before = _audit_entries(api)
    for name, (data, detail, row) in MALFORMED.items():
        response = api.client.post(f"/api/v1/opportunity-batches/{batch}/items", headers=officer,
                                   files={"file": ("list.csv", data, "text/csv")})
        assert response.status_code == 422, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        body = response.json()
        assert body["type"] == "https://suanli.dev/problems/invalid-opportunity", (name, body)
        assert body["detail"].startswith(detail) and body["row"] == row, (name, body)
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OpportunityRow)) == 0
    assert _audit_entries(api) == before
    good = api.client.post(f"/api/v1/opportunity-batches/{batch}/items", headers=officer,
                           files={"file": ("list.csv", _sheet(), "text/csv")})
    assert good.status_code == 201 and len(good.json()) == 1
