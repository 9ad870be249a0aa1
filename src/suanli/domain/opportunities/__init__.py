"""The AI opportunity list (机会清单): supply and demand items of AI scenarios the bureau publishes in
batches, their import/export table in the bureau's column layout, Chinese-capable search terms,
matching requests (对接) between organisations and the evaluation of closed items."""

from suanli.domain.opportunities.items import (
    KIND_NAMES_ZH,
    TRACK_NAMES_ZH,
    BatchStatus,
    ComputeNeed,
    ItemKind,
    ItemStatus,
    OpportunityDraft,
    Track,
)
from suanli.domain.opportunities.matching import MatchOutcome, MatchStatus, check_match_transition
from suanli.domain.opportunities.search import query_terms, terms

__all__ = ["KIND_NAMES_ZH", "TRACK_NAMES_ZH", "BatchStatus", "ComputeNeed", "ItemKind", "ItemStatus", "MatchOutcome",
           "MatchStatus", "OpportunityDraft",
           "Track", "check_match_transition", "query_terms", "terms"]
