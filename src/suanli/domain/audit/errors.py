"""Errors of the transparency log, derived from the one exception tree in `suanli.domain.errors`."""

from __future__ import annotations

from suanli.domain.errors import Conflict, InvalidInput, NotFound, ServiceBusy


class NotCanonical(InvalidInput):
    """A payload holds something canonical JSON cannot carry unambiguously (NaN, bytes, Decimal...)."""

    slug, title = "audit-not-canonical", "Audit payload is not canonical JSON"


class InvalidProofRequest(InvalidInput):
    slug, title = "audit-invalid-proof-request", "Proof request out of range"


class EventNotFound(NotFound):
    slug, title = "audit-event-not-found", "Audit event not found"


class LogInconsistent(Conflict):
    """The stored log no longer matches what was signed earlier: history was rewritten."""

    slug, title = "audit-log-inconsistent", "Audit log inconsistent with a signed head"


class ReceiptPending(ServiceBusy):
    """The event is committed but not sequenced yet (the log is busy): ask again by its outbox id."""

    slug, title = "audit-receipt-pending", "Audit receipt not ready yet"
