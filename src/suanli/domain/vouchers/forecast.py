"""Budget burn-down and the forecast of the day a program's budget runs out at the current rate.

Pure over a burn history (day, fen committed that day): the rate is the mean daily burn over the
last `window_days` (or since the first burn, if that is more recent), so a quiet start does not
make the budget look eternal and one busy day does not make it look gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Forecast:
    remaining_fen: int
    daily_burn_fen: int  # rounded down, for display; the date uses the exact rate
    runs_out_on: date | None  # None: nothing is being spent, the budget does not run out
    window_days: int

    def as_dict(self) -> dict[str, object]:
        return {
            "remaining_fen": self.remaining_fen,
            "daily_burn_fen": self.daily_burn_fen,
            "runs_out_on": self.runs_out_on.isoformat() if self.runs_out_on else None,
            "window_days": self.window_days,
        }


def forecast_exhaustion(remaining_fen: int, burn: Sequence[tuple[date, int]], today: date, window_days: int = 30) -> Forecast:
    if remaining_fen <= 0:
        return Forecast(0, 0, today, window_days)
    start = today - timedelta(days=window_days - 1)
    first = min((d for d, _ in burn), default=today)
    days = (today - max(start, first)).days + 1
    spent = sum(fen for d, fen in burn if max(start, first) <= d <= today)
    if spent <= 0:
        return Forecast(remaining_fen, 0, None, window_days)
    rate = Fraction(spent, days)
    days_left = -(-remaining_fen // rate)  # ceil: the day the last fen is spent
    return Forecast(remaining_fen, int(rate), today + timedelta(days=int(days_left)), window_days)


def burn_down(budget_fen: int, burn: Sequence[tuple[date, int]]) -> list[tuple[date, int]]:
    """Remaining budget at the end of each day that saw spending (for the officer's chart)."""
    per_day: dict[date, int] = {}
    for d, fen in burn:
        per_day[d] = per_day.get(d, 0) + fen
    remaining, series = budget_fen, []
    for d in sorted(per_day):
        remaining -= per_day[d]
        series.append((d, remaining))
    return series
