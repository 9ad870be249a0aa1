"""Redemption batches (核销批次): many voucher holds, posts and voids in one unit of work.

Each item keeps its own idempotency key and its own transfer, exactly as if it had been sent alone:
a replayed item answers with its original result (`replayed: true`), a key reused with a different
body is a 409 naming the item, and any bad item fails the whole batch, naming its index, with
nothing written. What the batch shares is the work around the items: one lock pass over the holds and
accounts involved (in id order), one insert of all transfers, one executemany of all legs, one audit
append. Items are checked in order, each against the balances the items before it leave.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.domain.errors import InvalidInput
from suanli.domain.ledger.requests import Post, Reserve, Void, check_batch, item
from suanli.services.ledger.writes import TransferResult, write

Redemption = Reserve | Post | Void


def redeem_batch(session: Session, *, items: Sequence[Redemption]) -> list[TransferResult]:
    """Write every item (a `Reserve`, `Post` or `Void`) or none; one result per item, in order."""
    for index, request in enumerate(items):
        if not isinstance(request, Reserve | Post | Void):
            with item(index):
                raise InvalidInput(f"a redemption item is a reserve, post or void, not {type(request).__name__}")
    return write(session, check_batch(items), batch=True)
