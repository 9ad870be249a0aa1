"""Incentive awards (政策兑现 / 奖补) as program files: what an item pays (a one-off amount, a percentage of
a declared base with a ceiling, tiers by threshold paid once each, a schedule by level, an amount set by
expert review), to whom (one party, or two parties of one product separately), with what evidence, within
which per-organisation annual ceiling across a family of items, and for ranked items which places are
won by a verifiable ordering. Every decision names the rules that fired."""

from suanli.domain.awards.calculate import AwardClaim, AwardDecision, PriorAward, decide, likely_award
from suanli.domain.awards.errors import AwardRuleViolation, DoubleBenefit, InvalidAwardFile
from suanli.domain.awards.items import AwardItem, Tier, parse_award_file
from suanli.domain.awards.ranking import RankedApplicant, winners

__all__ = ["AwardClaim", "AwardDecision", "AwardItem", "AwardRuleViolation", "DoubleBenefit", "InvalidAwardFile",
           "PriorAward", "RankedApplicant", "Tier", "decide", "likely_award", "parse_award_file", "winners"]
