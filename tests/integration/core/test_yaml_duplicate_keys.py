"""A configuration file with one key twice in a mapping, over HTTP on SQLite and PostgreSQL: the
indicator file, an award program file and the federation file are each a 422 problem naming the
line and field of the second key, with nothing loaded. Before, YAML's last-one-wins kept the second
value silently (program files alone refused it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from suanli.db.models.awards import AwardItemRow
from suanli.db.models.federation import CenterRow
from suanli.db.models.indicators import IndicatorRow
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import SMALL_FEDERATION, events_logged_or_waiting

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
INDICATORS = (EXAMPLES / "indicators" / "chengdu-ai.yaml").read_text(encoding="utf-8")
AWARD = (EXAMPLES / "awards" / "little-giant.yaml").read_text(encoding="utf-8")


def _second(text: str, old: str, new: str) -> tuple[str, int]:
    """The text with `new` inserted after the line holding `old`, and that new line's number."""
    at = text.index(old)
    end = text.index("\n", at) + 1
    return text[:end] + new + "\n" + text[end:], text[:end].count("\n") + 1


CASES = {  # name: (path, body key, file, field, role, the rows that must stay empty)
    "indicator file": ("put", "/api/v1/indicators", "text",
                       _second(INDICATORS, "    period: year", "    period: quarter"), "indicators.0.period",
                       Role.PROGRAM_OFFICER, IndicatorRow),
    "award program file": ("post", "/api/v1/award-items", "text", _second(AWARD, "id: ", "id: another-award"), "id",
                           Role.PROGRAM_OFFICER, AwardItemRow),
    "federation file": ("post", "/api/v1/federation", "yaml",
                        _second(SMALL_FEDERATION, "    kind:", SMALL_FEDERATION[SMALL_FEDERATION.index("    kind:"):]
                                .split("\n", 1)[0]), "centers.0.kind", Role.PLATFORM_OPERATOR, CenterRow),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_key_written_twice_is_refused_naming_its_line_and_nothing_is_loaded(api, name: str) -> None:  # type: ignore[no-untyped-def]
    method, path, key, (text, line), field, role, table = CASES[name]
    who = api.user("someone", role, api.organisation("bureau", OrganisationType.GOVERNMENT))
    with api.sessions() as s:
        before = events_logged_or_waiting(s)
    response = getattr(api.client, method)(path, headers=who, json={key: text})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["line"] == line and body["field"] == field, body
    assert f"line {line}: {field}: the key" in body["detail"] and "appears twice" in body["detail"]
    with api.sessions() as s:
        assert s.scalar(select(func.count()).select_from(table)) == 0
        assert events_logged_or_waiting(s) == before
