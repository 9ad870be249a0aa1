"""The compliance review (合规评估): its stages, the evidence each stage needs, and the public
notice (公示) that follows a passed review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from suanli.domain.exchange.products import PiLevel

# Evidence kinds as a program file names them; a stage passes only on its own evidence.
EVIDENCE_KINDS = ("source_legality", "authorisation", "pi_handling", "security_level")
REVIEW_STAGES = {
    "source_legality": "source_legality",  # 数据来源合法性
    "authorisation": "authorisation",  # 授权链条
    "personal_information": "pi_handling",  # 个人信息处理
    "security_level": "security_level",  # 数据安全等级
}
NOTICE_DAYS = 5  # 公示期
MIN_NOTICE_DAYS, MAX_NOTICE_DAYS = 1, 30


def required_evidence(pi_level: PiLevel) -> tuple[str, ...]:
    """Personal-information handling is evidenced only when the data holds personal information."""
    if pi_level is PiLevel.NONE:
        return tuple(k for k in EVIDENCE_KINDS if k != "pi_handling")
    return EVIDENCE_KINDS


def required_stages(pi_level: PiLevel) -> tuple[str, ...]:
    needed = required_evidence(pi_level)
    return tuple(stage for stage, kind in REVIEW_STAGES.items() if kind in needed)


def missing_evidence(pi_level: PiLevel, provided: Iterable[str]) -> list[str]:
    have = set(provided)
    return [k for k in required_evidence(pi_level) if k not in have]


def notice_deadline(start: datetime, days: int = NOTICE_DAYS) -> datetime:
    return start + timedelta(days=days)
