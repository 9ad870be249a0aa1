"""The data exchange (数据交易所) as pure rules: trader roles (数商), data products and their
versions, the compliance review's stages and evidence, the public notice (公示) and its objections,
signed registration certificates verifiable offline, and catalogue search text. No I/O here."""

from suanli.domain.exchange.certificates import (
    CERTIFICATE_SCHEMA,
    certificate_body,
    sign_certificate,
    verify_certificate,
    verify_delivery,
)
from suanli.domain.exchange.errors import (
    ContentTampered,
    EvidenceMissing,
    ExchangeConflict,
    ExchangeInvalid,
    ExchangeNotFound,
    NoticeClosed,
    QuotaExhausted,
)
from suanli.domain.exchange.products import (
    DeliveryMode,
    PiLevel,
    PriceModel,
    ProductDraft,
    VersionStatus,
    check_draft,
    order_total,
)
from suanli.domain.exchange.review import (
    EVIDENCE_KINDS,
    REVIEW_STAGES,
    missing_evidence,
    notice_deadline,
    required_evidence,
)
from suanli.domain.exchange.roles import MembershipStatus, TraderRole
from suanli.domain.exchange.search import like_pattern, search_text

__all__ = [
    "CERTIFICATE_SCHEMA", "EVIDENCE_KINDS", "REVIEW_STAGES", "ContentTampered", "DeliveryMode", "EvidenceMissing",
    "ExchangeConflict", "ExchangeInvalid", "ExchangeNotFound", "MembershipStatus", "NoticeClosed", "PiLevel",
    "PriceModel", "ProductDraft", "QuotaExhausted", "TraderRole", "VersionStatus", "certificate_body",
    "check_draft", "like_pattern", "missing_evidence", "notice_deadline", "order_total", "required_evidence",
    "search_text", "sign_certificate", "verify_certificate", "verify_delivery",
]
