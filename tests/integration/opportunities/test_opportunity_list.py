"""The opportunity list end to end on SQLite and PostgreSQL: a batch prepared, imported from the bureau's
sheet, reviewed by a second officer and published; the sheet round trip; Chinese search; matching
requests with their history; evaluation of a closed item; a compute-demand item quoted in one step."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook
from opportunity_world import World, drafts
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.opportunities import OpportunityRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import Forbidden, IllegalTransition, NotFound
from suanli.domain.opportunities import MatchOutcome, MatchStatus
from suanli.domain.opportunities.items import DuplicateOpportunity
from suanli.domain.opportunities.table import to_csv, to_xlsx
from suanli.services import opportunities as service


def _published(sessions: sessionmaker[Session], world: World, data: bytes | None = None, name: str = "list.xlsx") -> int:
    with unit_of_work(sessions) as s:
        batch = service.create_batch(s, actor=world.officer, title="2023年第一批机会清单")
        service.import_items(s, actor=world.officer, batch_id=batch.id, data=data or to_xlsx(drafts()), filename=name)
        service.submit_batch(s, actor=world.officer, batch_id=batch.id)
        service.review_batch(s, actor=world.officer2, batch_id=batch.id, decision="publish")
        return batch.id


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_import_export_round_trip_keeps_every_field(sessions: sessionmaker[Session], world: World, fmt: str) -> None:
    sheet = to_xlsx(drafts()) if fmt == "xlsx" else to_csv(drafts())
    batch_id = _published(sessions, world, sheet, f"list.{fmt}")
    with unit_of_work(sessions) as s:
        exported = service.export_batch(s, principal=None, batch_id=batch_id, fmt=fmt)
        again = service.create_batch(s, actor=world.officer, title="copy")
        # Same codes are refused across the list, so compare the parsed sheet instead of re-importing.
        from suanli.domain.opportunities.table import read_table

        assert read_table(exported, f"x.{fmt}") == drafts()
        assert [service.draft_of(r) for r in s.scalars(select(OpportunityRow).order_by(OpportunityRow.id))] == drafts()
        assert again.status == "draft"


def test_the_exported_sheet_runs_no_formula(sessions: sessionmaker[Session], world: World) -> None:
    batch_id = _published(sessions, world)
    with unit_of_work(sessions) as s:
        data = service.export_batch(s, principal=None, batch_id=batch_id, fmt="xlsx")
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2) for c in row]  # type: ignore[union-attr]
    assert all(c.data_type == "s" for c in cells if c.value is not None)
    assert "'=SUM(A1:A2) 不应被当作公式" in [c.value for c in cells]
    assert "'+86 28 8888 0001" in [c.value for c in cells]


def test_a_duplicate_row_is_refused_naming_the_row_and_nothing_is_written(sessions: sessionmaker[Session],
                                                                          world: World) -> None:
    rows = drafts()
    sheet = to_xlsx([*rows, rows[0]])
    with unit_of_work(sessions) as s:
        batch_id = service.create_batch(s, actor=world.officer, title="b").id
    with pytest.raises(DuplicateOpportunity, match="row 5 repeats row 2") as caught, unit_of_work(sessions) as s:
        service.import_items(s, actor=world.officer, batch_id=batch_id, data=sheet, filename="list.xlsx")
    assert caught.value.status == 409 and caught.value.extra["row"] == 5
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(OpportunityRow)) == 0


def test_a_row_repeating_an_item_already_on_the_list_names_the_row(sessions: sessionmaker[Session], world: World) -> None:
    _published(sessions, world)
    with unit_of_work(sessions) as s:
        batch_id = service.create_batch(s, actor=world.officer, title="b2").id
    with pytest.raises(DuplicateOpportunity, match="row 3: 清单编号 2023-D-001"), unit_of_work(sessions) as s:
        fresh = dataclasses.replace(drafts()[2], code="2024-S-900", title="新条目")
        service.import_items(s, actor=world.officer, batch_id=batch_id, data=to_csv([fresh, drafts()[1]]),
                             filename="b.csv")


def test_chinese_search_finds_a_two_character_word_in_the_middle_of_a_sentence(sessions: sessionmaker[Session],
                                                                                 world: World) -> None:
    _published(sessions, world)
    with unit_of_work(sessions) as s:
        assert [r.code for r in service.search(s, query="结节").items] == ["2023-D-001"]  # 肺结节检测模型
        assert [r.code for r in service.search(s, query="小麦").items] == ["2023-S-002"]
        assert [r.code for r in service.search(s, query="信号 配时").items] == ["2023-S-001"]
        assert service.search(s, query="结核").total == 0
        assert {r.code for r in service.search(s, query="模型").items} == {"2023-S-001", "2023-D-001"}
        assert [r.code for r in service.search(s, query="模型", kind="demand").items] == ["2023-D-001"]
        assert [r.code for r in service.search(s, query="a800").items] == []  # models are not in the text
        assert service.search(s, query="智慧农业", track="datasets").total == 1


def test_a_batch_is_public_only_once_another_officer_published_it(sessions: sessionmaker[Session], world: World) -> None:
    with unit_of_work(sessions) as s:
        batch = service.create_batch(s, actor=world.officer, title="b")
        service.import_items(s, actor=world.officer, batch_id=batch.id, data=to_xlsx(drafts()), filename="l.xlsx")
        assert service.search(s, query="结节").total == 0
        with pytest.raises(NotFound):
            service.export_batch(s, principal=world.other, batch_id=batch.id, fmt="csv")
        service.submit_batch(s, actor=world.officer, batch_id=batch.id)
        with pytest.raises(Forbidden, match="four eyes"):
            service.review_batch(s, actor=world.officer, batch_id=batch.id, decision="publish")
        service.review_batch(s, actor=world.officer2, batch_id=batch.id, decision="return", note="补充联系人")
        assert batch.status == "draft"
        service.submit_batch(s, actor=world.officer, batch_id=batch.id)
        service.review_batch(s, actor=world.officer2, batch_id=batch.id, decision="publish")
        assert service.search(s, query="结节").total == 1


def test_matching_requests_keep_their_history_and_outcome(sessions: sessionmaker[Session], world: World) -> None:
    _published(sessions, world)
    with unit_of_work(sessions) as s:
        item = service.search(s, query="信号").items[0]
        assert item.issuer_organisation_id == world.issuer.organisation_id
        match = service.request_match(s, actor=world.other, item_id=item.id, message="希望在医院周边路口试点")
        with pytest.raises(NotFound):
            service.match_history(s, principal=world.stranger, match_id=match.id)
        with pytest.raises(Forbidden):
            service.answer_match(s, actor=world.other, match_id=match.id, status=MatchStatus.ACCEPTED)
        service.answer_match(s, actor=world.issuer, match_id=match.id, status=MatchStatus.ACCEPTED, note="欢迎")
        service.conclude_match(s, actor=world.issuer, match_id=match.id, outcome=MatchOutcome.SIGNED,
                               amount_fen=50_000_000, note="签订试点合同")
        with pytest.raises(IllegalTransition):
            service.answer_match(s, actor=world.issuer, match_id=match.id, status=MatchStatus.DECLINED)
        history = service.match_history(s, principal=world.other, match_id=match.id)
        assert [(e.status, e.actor) for e in history] == [("requested", "yilian-admin"), ("accepted", "zhixing-admin"),
                                                          ("concluded", "zhixing-admin")]
        assert [m.id for m in service.list_matches(s, principal=world.issuer)] == [match.id]
        assert service.list_matches(s, principal=world.stranger) == []


def test_a_closed_item_is_evaluated_with_its_matching_figures(sessions: sessionmaker[Session], world: World) -> None:
    _published(sessions, world)
    with unit_of_work(sessions) as s:
        item = service.search(s, query="信号").items[0]
        match = service.request_match(s, actor=world.other, item_id=item.id)
        service.answer_match(s, actor=world.issuer, match_id=match.id, status=MatchStatus.ACCEPTED)
        service.conclude_match(s, actor=world.other, match_id=match.id, outcome=MatchOutcome.PILOT)
        service.request_match(s, actor=world.stranger, item_id=item.id)
        with pytest.raises(IllegalTransition, match="still open"):
            service.evaluate_item(s, actor=world.officer, item_id=item.id, score=4)
        service.close_item(s, actor=world.officer, item_id=item.id)
        evaluation = service.evaluate_item(s, actor=world.officer, item_id=item.id, score=4, comment="促成一项试点")
        assert (evaluation.matches, evaluation.deals) == (2, 1)


def test_a_compute_demand_item_is_quoted_in_one_step(sessions: sessionmaker[Session], world: World) -> None:
    _published(sessions, world)
    with unit_of_work(sessions) as s:
        item = service.search(s, query="算力需求").items[0]
        quote = service.quote_item(s, principal=world.other, item_id=item.id).as_dict()
    options = quote["options"]
    assert options and all(o["model"] == "A800" for o in options)
    # 8 devices for 12.5 hours at 18 yuan per device-hour on the small federation's A800 pool.
    assert options[0]["list_price_fen"] == 8 * 1800 * 25 // 2
