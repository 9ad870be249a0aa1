"""The exchange's errors, each a precise 4xx with its own problem type."""

from __future__ import annotations

from suanli.domain.errors import Conflict, InvalidInput, NotFound, TooManyRequests


class ExchangeInvalid(InvalidInput):
    slug, title = "exchange-invalid", "Invalid data exchange request"


class EvidenceMissing(InvalidInput):
    slug, title = "exchange-evidence-missing", "Required compliance evidence is missing"


class ExchangeNotFound(NotFound):
    slug, title = "exchange-not-found", "Not found in the data exchange"


class ExchangeConflict(Conflict):
    slug, title = "exchange-conflict", "Data exchange conflict"


class NoticeClosed(Conflict):
    slug, title = "exchange-notice-closed", "The public notice period is over"


class ContentTampered(Conflict):
    slug, title = "exchange-content-tampered", "The content no longer matches its SHA-256"


class QuotaExhausted(TooManyRequests):
    slug, title = "exchange-quota-exhausted", "The order's quota is used up"
