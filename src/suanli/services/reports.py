"""Public platform figures (the numbers the city reports): organisations and users served, cities
served, device-hours (卡时) delivered per center and ecosystem, utilisation per center now and per day,
and subsidy (算力券) granted and redeemed against each program's budget. Read-only."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.repositories import reports as repo
from suanli.domain.exports import SafeCsvWriter

UTILISATION_DAYS = 14


@dataclass(frozen=True)
class CenterFigures:
    name: str
    name_zh: str
    devices: int
    busy_devices: int
    device_hours: float
    name_en: str | None = None

    @property
    def utilisation(self) -> float:
        return self.busy_devices / self.devices if self.devices else 0.0


@dataclass(frozen=True)
class ProgramFigures:
    code: str
    title_zh: str
    title_en: str
    budget_fen: int
    granted_fen: int
    redeemed_fen: int


@dataclass
class Dashboard:
    organisations_served: int
    users_served: int
    cities: list[str]
    centers: list[CenterFigures]
    ecosystems: dict[str, float]
    days: list[date]
    daily_utilisation: dict[str, list[float]] = field(default_factory=dict)  # center name -> share per day
    programs: list[ProgramFigures] = field(default_factory=list)

    @property
    def device_hours(self) -> float:
        return sum(c.device_hours for c in self.centers)


def dashboard(session: Session, *, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    organisations, users = repo.served_counts(session)
    delivered = {name: seconds for name, _zh, seconds in repo.device_seconds_by_center(session)}
    busy = repo.busy_devices_by_center(session)
    capacity = repo.center_capacity(session)
    centers = [CenterFigures(name, zh, total, min(busy.get(cid, 0), total), delivered.get(name, 0) / 3600, en)
               for cid, name, zh, en, total in capacity]
    days = [(now - timedelta(days=UTILISATION_DAYS - 1 - i)).date() for i in range(UTILISATION_DAYS)]
    return Dashboard(
        organisations_served=organisations, users_served=users, cities=repo.cities_served(session),
        centers=centers, ecosystems={eco: s / 3600 for eco, s in repo.device_seconds_by_ecosystem(session)},
        days=days, daily_utilisation=_daily_utilisation(session, capacity, days),
        programs=[ProgramFigures(*row) for row in repo.programs_budget(session)])


def _daily_utilisation(session: Session, capacity: list[tuple[int, str, str, str | None, int]],
                       days: list[date]) -> dict[str, list[float]]:
    """Device-seconds delivered per center per day over the devices it has (usage counted on its start day)."""
    per_day: dict[tuple[int, date], int] = defaultdict(int)
    for center_id, day, seconds in repo.usage_by_day(session, days[0]):
        per_day[(center_id, day)] += seconds
    return {name: [round(per_day.get((cid, d), 0) / (total * 86400), 4) if total else 0.0 for d in days]
            for cid, name, _zh, _en, total in capacity}


def dashboard_csv(d: Dashboard) -> bytes:
    """Every figure on the dashboard as `section,key,value` rows (UTF-8 with BOM for spreadsheet apps)."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)  # center names are what operators typed
    writer.writerow(["section", "key", "value"])
    writer.writerow(["served", "organisations", d.organisations_served])
    writer.writerow(["served", "users", d.users_served])
    writer.writerow(["served", "cities", ";".join(d.cities)])
    for c in d.centers:
        writer.writerow(["device_hours_by_center", c.name, f"{c.device_hours:.4f}"])
        writer.writerow(["utilisation_now", c.name, f"{c.utilisation:.4f}"])
    for eco, value in d.ecosystems.items():
        writer.writerow(["device_hours_by_ecosystem", eco, f"{value:.4f}"])
    for name, shares in d.daily_utilisation.items():
        for day, share in zip(d.days, shares, strict=True):
            writer.writerow(["daily_utilisation", f"{name}:{day.isoformat()}", f"{share:.4f}"])
    for p in d.programs:
        writer.writerow(["program_budget_fen", p.code, p.budget_fen])
        writer.writerow(["program_granted_fen", p.code, p.granted_fen])
        writer.writerow(["program_redeemed_fen", p.code, p.redeemed_fen])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
