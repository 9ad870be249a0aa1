"""A malformed figures sheet over HTTP, on SQLite and PostgreSQL: each one a 422 problem naming the
row (and column) with no figure, audit event or outbox entry kept; before, a NUL in a cell was kept
on SQLite and a generic refusal on PostgreSQL, a huge exponent a 500, a header-only sheet a 201 of
nothing, a 100 KB source silently cut to 2,000 characters and one period twice both imported."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from suanli.db.models.indicators import IndicatorFigureRow
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import events_logged_or_waiting, hidden, sign_in_web

FILE = (Path(__file__).resolve().parents[3] / "examples" / "indicators" / "chengdu-ai.yaml").read_text(encoding="utf-8")
HEAD = "指标代码,期间,数值,来源\n"
ROW = "ai-industry-scale,2024,{value},{source}\n"


def _sheet(value: str = "1", source: str = "统计公报", *more: str) -> bytes:
    return (HEAD + ROW.format(value=value, source=source) + "".join(more)).encode()


MALFORMED = {  # name: (file, the detail's start, row)
    "nul in a cell": (_sheet(source="a\x00b"), "row 2, column D: the cell holds a control character (U+0000)", 2),
    "escape in a cell": (_sheet(source="a\x1bb"), "row 2, column D: the cell holds a control character", 2),
    "a cell past Excel's 32,767 characters": (_sheet(source="x" * 40_000), "row 2, column D: the cell has 40000", 2),
    "a source past 2,000 characters": (_sheet(source="x" * 2001), "row 2: the source has 2001 characters", 2),
    "an exponent past the decimal context": (_sheet(value="1e999999999999"), "row 2: indicator ai-industry-scale", 2),
    "only the header": (HEAD.encode(), "the sheet has no rows below its header row", 1),
    "one period twice": (_sheet("1", "a", "ai-industry-scale,2024,2,b\n"), ("row 3: indicator ai-industry-scale, "
                          "period 2024 repeats row 2"), 3),
}


def _audit_entries(api) -> int:  # type: ignore[no-untyped-def]
    """Events in the log plus those still in the outbox (a worker may move one between the two)."""
    with api.sessions() as s:
        return events_logged_or_waiting(s)


def test_a_malformed_figures_sheet_is_a_422_naming_the_row_and_keeps_nothing(api) -> None:  # type: ignore[no-untyped-def]
    officer = api.user("officer", Role.PROGRAM_OFFICER, api.organisation("bureau", OrganisationType.GOVERNMENT))
    assert api.client.put("/api/v1/indicators", headers=officer, json={"text": FILE}).status_code == 200
    before = _audit_entries(api)
    for name, (data, detail, row) in MALFORMED.items():
        response = api.client.post("/api/v1/indicator-figures/import", headers=officer,
                                   files={"file": ("figures.csv", data, "text/csv")})
        assert response.status_code == 422, (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        body = response.json()
        assert body["type"].startswith("https://suanli.dev/problems/") and body["detail"].startswith(detail), (name, body)
        assert body["row"] == row, name
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IndicatorFigureRow)) == 0
    assert _audit_entries(api) == before
    good = api.client.post("/api/v1/indicator-figures/import", headers=officer,
                           files={"file": ("figures.csv", _sheet("1", "a", "ai-industry-scale,2023,2,b\n"), "text/csv")})
    assert good.status_code == 201 and good.json() == {"imported": 2}



def test_the_web_form_shows_the_refusal_in_chinese_with_the_form_again_and_keeps_nothing(api) -> None:  # type: ignore[no-untyped-def]
    officer = api.user("officer", Role.PROGRAM_OFFICER, api.organisation("bureau", OrganisationType.GOVERNMENT))
    assert api.client.put("/api/v1/indicators", headers=officer, json={"text": FILE}).status_code == 200
    api.client.cookies.clear()
    sign_in_web(api.client, "officer")
    for data, shown in ((_sheet(source="a\x00b"), "第2行D列（来源）：单元格含控制字符（U+0000）"),
                        (bytes(range(128, 256)), "CSV 文件既不是 UTF-8 也不是 GB18030 编码"),
                        (HEAD.encode(), "表格在表头行之下没有数据行")):
        page = api.client.get("/indicators/manage")
        response = api.client.post("/indicators/manage", files={"file": ("figures.csv", data, "text/csv")},
                                   data={"csrf_token": hidden(page.text, "csrf_token"), "action": "import"})
        assert response.status_code == 422
        error = re.search(r'<p class="error"[^>]*>(.*?)</p>', response.text, re.DOTALL)
        assert error and error.group(1).strip() == shown, error and error.group(1)
        assert 'id="file"' in response.text
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IndicatorFigureRow)) == 0

