"""The broker asks the voucher engine (services.vouchers.subsidy_policy): a payer holding a Chengdu
2023 grant sees a 30% subsidy at the designated centers and none elsewhere, the ranking follows the
price after subsidy, and an exhausted wallet pays nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.uow import unit_of_work
from suanli.domain.placement import PlacementRequest
from suanli.domain.resources import Ecosystem
from suanli.services import quotes
from suanli.services import vouchers as svc

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
# The 2023 calendar is over: the same rules with an always-open window and a year's validity.
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")
REQUEST = PlacementRequest(devices=8, ecosystems=frozenset({Ecosystem.CUDA}), hours=10, prefer="cheapest")


def _commercial_cloud(session: Session) -> None:
    """A cheaper A100 pool at a center the program does not designate."""
    center = CenterRow(name="tianfu-cloud", name_zh="天府商业GPU云", kind="cloud", city="成都", backend_kind="local",
                       backend_options={}, green_share=0.25, healthy=True, health_detail="")
    session.add(center)
    session.flush()
    session.add(PoolRow(center_id=center.id, name="a100", model="A100", ecosystem="cuda", device_memory_gb=80,
                        fp16_tflops=312.0, nodes=1, devices_per_node=8, cpus_per_node=64, memory_gb_per_node=512,
                        price_fen_per_device_hour=1200))
    session.flush()


def _grant(sessions: sessionmaker[Session], world, amount_fen: int) -> int:
    with unit_of_work(sessions) as s:
        _commercial_cloud(s)
        program_id = svc.load_program(s, text=TEXT, actor=world.bureau).id
        svc.set_window(s, program_id=program_id, open=True, actor=world.bureau)
        app_id = svc.apply(s, command=svc.ApplyCommand(program_id, "traffic model", amount_fen), actor=world.sme_admin).id
        svc.review(s, application_id=app_id, actor=world.bureau, approve=True, score=90)
        svc.review(s, application_id=app_id, actor=world.officer2, approve=True)
        return program_id


def test_a_grant_holder_sees_thirty_percent_at_designated_centers_and_none_elsewhere(sessions, world) -> None:
    _grant(sessions, world, 1_000_000)
    with sessions() as s:
        result = quotes.quote(s, principal=world.sme_admin, request=REQUEST)
        by_center = {o.center: o for o in result.options}
        designated, commercial = by_center["nscc-chengdu"], by_center["tianfu-cloud"]
        assert designated.list_price_fen == 8 * 10 * 1500 and designated.subsidy_fen == 8 * 10 * 1500 * 30 // 100
        assert designated.price_fen == designated.list_price_fen - designated.subsidy_fen
        assert designated.subsidy_program == "chengdu-2023"
        assert commercial.subsidy_fen == 0 and commercial.price_fen == commercial.list_price_fen == 8 * 10 * 1200
        # 12,000 yuan at list price beats 9,600 only before the voucher: after it, 8,400 wins.
        assert result.options[0].center == "nscc-chengdu"
        policy = svc.subsidy_policy(s, organisation_ids=[world.sme_admin.organisation_id])
        assert policy.designated_centers == frozenset({"nscc-chengdu", "chengdu-aicc"})


def test_without_a_grant_the_cheaper_list_price_wins_and_designated_only_keeps_the_designated(sessions, world) -> None:
    _grant(sessions, world, 1_000_000)
    with sessions() as s:
        result = quotes.quote(s, principal=world.big_admin, request=REQUEST)
        assert result.options[0].center == "tianfu-cloud"
        assert all(o.subsidy_fen == 0 for o in result.options)
        only = quotes.quote(s, principal=world.sme_admin, request=PlacementRequest(
            devices=8, ecosystems=frozenset({Ecosystem.CUDA}), hours=10, designated_only=True))
        assert {o.center for o in only.options} == {"nscc-chengdu"}
        assert any(e.code == "provider_not_designated" and e.center == "tianfu-cloud" for e in only.excluded)


def test_a_payer_whose_wallet_is_exhausted_gets_no_subsidy(sessions, world, metered) -> None:
    _grant(sessions, world, 10_000)
    with unit_of_work(sessions) as s:
        _, usage_id = metered(s, world.sme_admin, charge_fen=1_000_000)
        redeemed = svc.redeem_usage(s, usage_record_id=usage_id)
        assert redeemed is not None and redeemed.amount_fen == 10_000
    with sessions() as s:
        result = quotes.quote(s, principal=world.sme_admin, request=REQUEST)
        assert all(o.subsidy_fen == 0 for o in result.options)
        assert result.options[0].center == "tianfu-cloud"
