"""A figures sheet past its 5 MB, with the server's body limit raised past it (an operator's choice):
the service refuses the whole upload with 413 on the API and the web form alike. Before, the API
answered 422 and the web form read the first 5 MB and imported the rows found there (200)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from suanli.config import Settings
from suanli.db.models.indicators import IndicatorFigureRow
from suanli.domain.organisations import OrganisationType, Role
from suanli.services.indicators import MAX_SHEET_BYTES
from suanli_testing import hidden, sign_in_web

FILE = (Path(__file__).resolve().parents[3] / "examples" / "indicators" / "chengdu-ai.yaml").read_text(encoding="utf-8")
ROWS = "".join(f"ai-industry-scale,{2022 + i},{i},统计公报\n" for i in range(5))
BIG = ("指标代码,期间,数值,来源\n" + ROWS + "\n" * MAX_SHEET_BYTES).encode()  # good rows, then blank lines past the cap


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", worker_interval_s=0.1,  # type: ignore[arg-type]
                    max_body_bytes=3 * MAX_SHEET_BYTES)



def test_a_sheet_past_its_cap_is_a_413_on_the_api_and_the_form_and_is_never_read_cut_short(api) -> None:  # type: ignore[no-untyped-def]
    officer = api.user("officer", Role.PROGRAM_OFFICER, api.organisation("bureau", OrganisationType.GOVERNMENT))
    client = api.client
    assert client.put("/api/v1/indicators", headers=officer, json={"text": FILE}).status_code == 200
    response = client.post("/api/v1/indicator-figures/import", headers=officer,
                           files={"file": ("figures.csv", BIG, "text/csv")})
    assert response.status_code == 413 and response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/payload-too-large") and response.json()["limit"] == MAX_SHEET_BYTES
    client.cookies.clear()
    sign_in_web(client, "officer")
    page = client.get("/indicators/manage")
    form = client.post("/indicators/manage", files={"file": ("figures.csv", BIG, "text/csv")},
                       data={"csrf_token": hidden(page.text, "csrf_token"), "action": "import"})
    assert form.status_code == 413 and "表格文件超过 5 MB" in form.text and 'id="file"' in form.text
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IndicatorFigureRow)) == 0
