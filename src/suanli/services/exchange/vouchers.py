"""The one seam between the exchange and the voucher engine (算力券 for data and corpora).

A data order is a signed and paid contract bought through the platform, so it is claimed against
the buyer's wallet with the engine's stable public `redeem_contract` (the program's ratio for the
item kind, caps, designated providers and the once-per-contract rule all apply). Kept in this one
module because the engine is being reshaped: nothing else in the exchange imports it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from suanli.domain.money import Fen
from suanli.domain.organisations import Principal
from suanli.domain.vouchers import ItemKind

# The provider name the exchange's orders are claimed under; a program lists it among its
# designated providers to honour data bought here.
EXCHANGE_PROVIDER = "suanli-data-exchange"
CORPORA_SECTORS = frozenset({"corpora", "语料"})


def check_program(session: Session, program_id: int) -> None:
    """The program an order names exists (a 404 otherwise), asked before the order is written: the
    database's foreign key would only refuse it at flush, as an unexplained conflict."""
    from suanli.services import vouchers

    vouchers.program_row(session, program_id)


def subsidise(session: Session, *, buyer: Principal, program_id: int, order_id: int, amount_fen: Fen,
              sector: str, seller_organisation_id: int, signed_on: date) -> Fen:
    """Redeem the voucher's share of a paid data order; returns the fen the voucher paid (the wallet's
    money moves to the buyer's receivable). The order becomes a contract record the platform itself
    attests (it cleared the payment), so signed, paid and through-platform are facts, not the buyer's
    word; the claim then names only the program and that record. A refusal raises the engine's rule
    violation (a 4xx)."""
    from suanli.services import vouchers

    kind = ItemKind.CORPORA if sector.strip().lower() in CORPORA_SECTORS else ItemKind.DATA
    contract = vouchers.record_platform_order(
        session, buyer=buyer, seller_organisation_id=seller_organisation_id, number=f"exchange-order-{order_id}",
        amount_fen=amount_fen, items=[{"kind": kind.value, "amount_fen": amount_fen, "center": EXCHANGE_PROVIDER}],
        signed_on=signed_on)
    claim = vouchers.ContractClaim(program_id=program_id, contract_id=contract.id)
    redemption = vouchers.redeem_contract(session, claim=claim, actor=buyer)
    return int(redemption.amount_fen)
