"""The platform's own indicator figures (SQLite and PostgreSQL), computed from its metering records and
pools: organisations and cities served, device-hours and utilisation per year (the current year up to
now), with year-over-year change; a year not begun has no figure; none of them can be typed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.organisations import UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import InvalidInput
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import indicators as service
from suanli.services.accounts import principal_of
from suanli.services.federation import load_federation
from suanli.services.organisations import create_organisation
from suanli_testing import SMALL_FEDERATION

NOW = datetime(2025, 1, 2, tzinfo=UTC)  # one day into 2025


def _use(s: Session, organisation_id: int, user_id: int, started: datetime, device_seconds: int, n: int) -> None:
    pool = s.scalars(select(PoolRow).order_by(PoolRow.id)).first()
    center = s.get(CenterRow, pool.center_id) if pool else None
    assert pool is not None and center is not None
    job = JobRow(name=f"job-{n}", command="echo", organisation_id=organisation_id, user_id=user_id, state="succeeded",
                 request={}, devices=1, time_limit_s=60)
    s.add(job)
    s.flush()
    s.add(UsageRecordRow(job_id=job.id, center_id=center.id, pool_id=pool.id, organisation_id=organisation_id,
                         backend_job_id=f"b-{n}", step="0", device_seconds=device_seconds, core_seconds=0,
                         wall_seconds=device_seconds, started_at=started, ended_at=started + timedelta(hours=1),
                         source="center"))
    s.flush()


def _years(views: list[service.IndicatorView], code: str) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    [view] = [v for v in views if v.row.code == code]
    return {y.year: (y.value, y.yoy) for y in view.years}


def test_the_platform_computes_organisations_cities_device_hours_and_utilisation(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        load_federation(s, text=SMALL_FEDERATION)  # 2 + 16 = 18 devices
        bureau = create_organisation(s, name="bureau", name_zh="市经信局", type=OrganisationType.GOVERNMENT, city="成都")
        officer = UserRow(username="officer", display_name="officer", password_hash="!", role=Role.PROGRAM_OFFICER.value,
                          organisation_id=bureau.id)
        s.add(officer)
        s.flush()
        actor = principal_of(officer)
        service.load_demo_indicators(s, actor=actor)
        cd = create_organisation(s, name="cd-ai", name_zh="成都智能", type=OrganisationType.ENTERPRISE, city="成都")
        cq = create_organisation(s, name="cq-ai", name_zh="重庆智能", type=OrganisationType.ENTERPRISE, city="重庆")
        _use(s, cd.id, officer.id, datetime(2024, 3, 1, tzinfo=UTC), 36_000, 1)  # 10 device-hours
        _use(s, cq.id, officer.id, datetime(2024, 9, 1, tzinfo=UTC), 7_200, 2)  # 2
        _use(s, cd.id, officer.id, datetime(2025, 1, 1, 6, tzinfo=UTC), 64_800, 3)  # 18, on the first day of 2025
        _use(s, cd.id, officer.id, datetime(2023, 12, 31, 23, tzinfo=UTC), 3_600, 4)  # counted in 2023
    with unit_of_work(sessions) as s:
        views = service.overview(s, now=NOW)
        assert _years(views, "platform-organisations-served")[2024] == (Decimal(2), Decimal(1))  # 1 in 2023
        assert _years(views, "platform-organisations-served")[2025] == (Decimal(1), Decimal("-0.5"))
        assert _years(views, "platform-cities-served")[2024][0] == Decimal(2)
        hours = _years(views, "platform-device-hours")
        assert (hours[2023][0], hours[2024][0], hours[2025][0]) == (Decimal("1.00"), Decimal("12.00"), Decimal("18.00"))
        assert hours[2026] == (None, None)  # not begun
        utilisation = _years(views, "platform-utilisation")
        assert utilisation[2025][0] == Decimal("4.17")  # 18 device-hours of 18 devices x 24 h so far
        assert utilisation[2024][0] == Decimal("0.01")  # 12 of 18 x 8,784 h (2024 is a leap year)
        with pytest.raises(InvalidInput, match="computed by the platform"):
            service.enter_figure(s, actor=actor, code="platform-utilisation", period="2024", value="50")


def test_subsidies_paid_are_the_years_standing_redemptions_and_a_clawback_takes_its_amount_out(
        sessions: sessionmaker[Session]) -> None:
    from suanli.db.models.vouchers import VoucherRedemptionRow
    from suanli.db.repositories.organisations import user_by_username
    from suanli.services.demo import load_demo
    from suanli.services.vouchers import clawback

    with unit_of_work(sessions) as s:
        load_demo(s)
    with unit_of_work(sessions) as s:
        redemptions = s.scalars(select(VoucherRedemptionRow).order_by(VoucherRedemptionRow.id)).all()
        assert len(redemptions) >= 2, "the demo redeems vouchers"
        year = redemptions[0].created_at.year
        total = sum(r.amount_fen for r in redemptions if r.created_at.year == year)
        assert service.platform_value(s, "subsidies_paid_yuan", year) == Decimal(total) / 100
        last_year = redemptions[-1]
        last_year.created_at = last_year.created_at.replace(year=year - 1)  # one paid the year before
        officer = principal_of(user_by_username(s, "officer"))  # type: ignore[arg-type]
        clawed = clawback(s, redemption_id=redemptions[0].id, actor=officer, reason="重复申领")
        assert clawed is not None
        s.flush()
        expected = total - redemptions[0].amount_fen - last_year.amount_fen
        assert service.platform_value(s, "subsidies_paid_yuan", year) == Decimal(expected) / 100
        assert service.platform_value(s, "subsidies_paid_yuan", year - 1) == Decimal(last_year.amount_fen) / 100
