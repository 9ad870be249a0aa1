"""Write requests of the ledger as plain data: an immediate transfer, a hold (reserve), a post and a
void. One write path turns a list of them (and reversals) into transfers — a single call is a list of one, a
redemption batch (核销批次) is a list of many, each request with its own idempotency key.

`body_of` is the canonical body whose SHA-256 is stored with the key: it must stay byte-for-byte
stable, or a client's retry after an upgrade would look like a different request (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from suanli.domain.errors import InvalidInput, SuanliError
from suanli.domain.ledger.idempotency import check_key
from suanli.domain.ledger.transfers import Leg, check_currency, check_legs, positive_amount
from suanli.domain.money import CURRENCY, Fen

MAX_BATCH = 1000  # items per redemption batch: one transaction, one lock pass


@dataclass(frozen=True, slots=True)
class Immediate:
    idempotency_key: str
    legs: tuple[Leg, ...]
    memo: str = ""
    source_kind: str = "manual"
    source_id: str = ""
    currency: str = CURRENCY
    effective_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reserve:
    idempotency_key: str
    debit_account_id: int
    credit_account_id: int
    amount_fen: Fen
    memo: str = ""
    source_kind: str = "manual"
    source_id: str = ""
    currency: str = CURRENCY
    effective_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Post:
    idempotency_key: str
    pending_id: int
    amount_fen: Fen | None = None  # None: all that remains of the hold
    final: bool = True
    memo: str = ""
    source_kind: str | None = None  # None: the hold's own source
    source_id: str | None = None
    effective_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Void:
    idempotency_key: str
    pending_id: int
    memo: str = ""
    effective_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reverse:
    idempotency_key: str
    transfer_id: int
    memo: str = ""
    effective_at: datetime | None = None


Request = Immediate | Reserve | Post | Void | Reverse


@dataclass(frozen=True, slots=True)
class Checked:
    """A request that passed the checks that need no database, with its canonical body."""

    index: int
    request: Request
    body: dict[str, Any] = field(hash=False)


def body_of(request: Request) -> dict[str, Any]:
    """The canonical body of a request (a defaulted "now" is not part of it)."""
    match request:
        case Immediate():
            fields: dict[str, Any] = {
                "op": "transfer", "legs": [[x.account_id, x.amount_fen] for x in request.legs], "memo": request.memo,
                "source": [request.source_kind, request.source_id]}
        case Reserve():
            fields = {"op": "reserve", "debit": request.debit_account_id, "credit": request.credit_account_id,
                      "amount": request.amount_fen, "memo": request.memo,
                      "source": [request.source_kind, request.source_id]}
        case Post():
            fields = {"op": "post", "pending": request.pending_id, "amount": request.amount_fen,
                      "final": request.final, "memo": request.memo, "source": [request.source_kind, request.source_id]}
        case Void():
            fields = {"op": "void", "pending": request.pending_id, "memo": request.memo}
        case Reverse():
            fields = {"op": "reverse", "transfer": request.transfer_id, "memo": request.memo}
    body = {"op": fields.pop("op"), "currency": CURRENCY, **fields}
    if request.effective_at is not None:  # a defaulted "now" must not make a retry look like a new request
        body["effective_at"] = request.effective_at.isoformat()
    return body


def check_request(request: Request) -> Request:
    """What can be refused before touching the database: key, currency, amounts, legs."""
    check_key(request.idempotency_key)
    match request:
        case Immediate():
            check_currency(request.currency)
            return Immediate(request.idempotency_key, check_legs(request.legs), request.memo, request.source_kind,
                             request.source_id, request.currency, request.effective_at)
        case Reserve():
            check_currency(request.currency)
            positive_amount(request.amount_fen)
        case Post() | Void():
            if isinstance(request.pending_id, bool) or not isinstance(request.pending_id, int):
                raise InvalidInput(f"pending_id must be a transfer id, got {request.pending_id!r}")
        case Reverse():
            if isinstance(request.transfer_id, bool) or not isinstance(request.transfer_id, int):
                raise InvalidInput(f"transfer_id must be a transfer id, got {request.transfer_id!r}")
    return request


def check_batch(requests: Sequence[Request]) -> list[Checked]:
    """Check every request of a batch; the first bad one fails the batch, naming its index."""
    if not requests:
        raise InvalidInput("a batch needs at least one item")
    if len(requests) > MAX_BATCH:
        raise InvalidInput(f"a batch takes at most {MAX_BATCH} items, got {len(requests)}")
    checked: list[Checked] = []
    seen: dict[str, int] = {}
    for index, request in enumerate(requests):
        with item(index):
            request = check_request(request)
            if request.idempotency_key in seen:
                raise InvalidInput(f"idempotency key {request.idempotency_key!r} is used by items[{seen[request.idempotency_key]}] "
                                   "too; each item needs its own key", idempotency_key=request.idempotency_key)
            seen[request.idempotency_key] = index
            checked.append(Checked(index, request, body_of(request)))
    return checked


class item:
    """Prefix any SuanliError raised inside with the batch item it concerns (`items[3]: ...`)."""

    def __init__(self, index: int | None) -> None:
        self.index = index

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> Literal[False]:
        if self.index is not None and isinstance(error, SuanliError) and "item" not in error.extra:
            error.detail = f"items[{self.index}]: {error.detail}"
            error.args = (error.detail,)
            error.extra["item"] = self.index
        return False
