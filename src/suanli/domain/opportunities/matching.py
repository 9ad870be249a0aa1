"""Matching requests (对接): one organisation asks to connect with an item's issuer; the issuer (or the
bureau for items whose issuer is not on the platform) answers, and the pair reports how it ended.

requested → accepted | declined | withdrawn;  accepted → concluded (with an outcome).
"""

from __future__ import annotations

from enum import StrEnum

from suanli.domain.errors import IllegalTransition


class MatchStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CONCLUDED = "concluded"


class MatchOutcome(StrEnum):
    SIGNED = "signed"  # 签约: a contract or agreement came of it
    PILOT = "pilot"  # 试点: a trial or proof of concept
    NO_DEAL = "no_deal"  # 未达成


LEGAL = {
    MatchStatus.REQUESTED: {MatchStatus.ACCEPTED, MatchStatus.DECLINED, MatchStatus.WITHDRAWN},
    MatchStatus.ACCEPTED: {MatchStatus.CONCLUDED, MatchStatus.WITHDRAWN},
}


def check_match_transition(current: MatchStatus, target: MatchStatus) -> None:
    if target not in LEGAL.get(current, set()):
        raise IllegalTransition(f"a matching request that is {current.value} cannot become {target.value}")
