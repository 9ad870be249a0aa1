"""The one exception tree of Suanli.

Every business error knows the HTTP status and the stable RFC 9457 problem `type` it maps to, so a
single handler at each edge (API, CLI) turns it into a response or one readable line.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://suanli.dev/problems/"


class SuanliError(Exception):
    """Root of every error the platform raises on purpose."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        body.update(self.extra)
        return body


class InvalidInput(SuanliError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class InvalidResourceRequest(InvalidInput):
    slug, title = "invalid-resource-request", "Invalid resource request"


class InvalidFederationFile(InvalidInput):
    slug, title = "invalid-federation-file", "Invalid federation file"


class TooLarge(SuanliError):
    """An upload past the size its use case reads (a sheet, a file); the same problem type as a request
    body past the server's limit."""

    status, slug, title = 413, "payload-too-large", "Payload too large"


class NotFound(SuanliError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(SuanliError):
    status, slug, title = 409, "conflict", "Conflict"


class DuplicateName(Conflict):
    slug, title = "duplicate-name", "Name already taken"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal state transition"


class IdempotencyConflict(Conflict):
    slug, title = "idempotency-conflict", "Idempotency key reused with a different request"


class Unauthenticated(SuanliError):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(SuanliError):
    status, slug, title = 403, "forbidden", "Not allowed"


class TooManyRequests(SuanliError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceBusy(SuanliError):
    """Saturated for now (every slot, connection or the lock a request needs is taken): retry after
    `retry_after_s` (sent as the `Retry-After` header)."""

    status, slug, title = 503, "service-busy", "Service busy"


class BackendUnavailable(SuanliError):
    status, slug, title = 503, "backend-unavailable", "Center backend unavailable"


class BackendRejected(SuanliError):
    status, slug, title = 422, "backend-rejected", "Center backend rejected the job"
