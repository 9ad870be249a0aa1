"""Contracts (合同) as first-class records, attested by both parties: the buyer declares a contract
with a provider (the provider's own number, amount, signing date, term, items); the provider confirms
it and, later, confirms the payment. The platform itself creates the contracts of orders placed
through it, so "through platform" is a fact of the record. Numbers are namespaced by provider and
normalised before any uniqueness check; a contract is visible to its two parties (and the officers)
only, so another tenant never learns that a number exists (404, as for a number never used)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.vouchers import VoucherContractRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.domain.vouchers.bounds import check_fen, check_member, check_text
from suanli.domain.vouchers.contracts import (
    ContractFacts,
    ContractItem,
    contract_bill,
    normalise_contract_number,
)
from suanli.domain.vouchers.errors import VoucherConflict, VoucherNotFound
from suanli.domain.vouchers.program import ItemKind
from suanli.services.vouchers.common import audit_event, placed_event

MAX_ITEMS, MAX_TERM_MONTHS = 50, 240


@dataclass(frozen=True, slots=True)
class DeclareContract:
    """A contract as its buyer declares it (or the platform records an order placed through it)."""

    provider_organisation_id: int
    number: str
    amount_fen: int
    signed_on: date
    term_months: int | None = None
    items: Sequence[dict[str, Any]] = field(default_factory=tuple)
    buyer_organisation_id: int | None = None  # the platform names the buyer; a buyer is itself


def _items(raw: Sequence[dict[str, Any]], amount_fen: int) -> list[dict[str, Any]]:
    if not isinstance(raw, (list, tuple)) or len(raw) > MAX_ITEMS:
        raise InvalidInput(f"items must be a list of at most {MAX_ITEMS}", field="items")
    items = []
    for i, item in enumerate(raw or [{"kind": "compute", "amount_fen": amount_fen}]):
        if not isinstance(item, dict) or set(item) - {"kind", "amount_fen", "ecosystem", "domestic", "center"}:
            raise InvalidInput("an item has kind, amount_fen and optionally ecosystem, domestic, center",
                               field=f"items.{i}")
        kind = check_member(f"items.{i}.kind", item.get("kind", "compute"), ItemKind)
        fen = check_fen(f"items.{i}.amount_fen", item.get("amount_fen"))
        domestic = item.get("domestic")
        if domestic is not None and not isinstance(domestic, bool):
            raise InvalidInput("domestic is true or false", field=f"items.{i}.domestic")
        items.append({"kind": kind.value, "amount_fen": fen, "ecosystem": check_text(f"items.{i}.ecosystem",
                      item.get("ecosystem"), 32), "domestic": domestic,
                      "center": check_text(f"items.{i}.center", item.get("center"), 63)})
    if sum(i["amount_fen"] for i in items) != amount_fen:
        raise InvalidInput("the items must add up to the contract amount", field="items")
    return items


def declare_contract(session: Session, *, command: DeclareContract, actor: Principal) -> VoucherContractRow:
    """The buyer (an organisation admin) declares a contract with a provider; the platform operator
    records an order placed through the platform (`through_platform` true). The provider confirms."""
    through_platform = actor.role is Role.PLATFORM_OPERATOR
    if actor.role not in (Role.ORG_ADMIN, Role.PLATFORM_OPERATOR):
        raise Forbidden("a contract is declared by the buyer's administrator (or the platform for its orders)")
    buyer = command.buyer_organisation_id if through_platform else actor.organisation_id
    if buyer is None or repo.get_organisation(session, buyer) is None:
        raise InvalidInput("name the buyer organisation", field="buyer_organisation_id")
    if not through_platform and command.buyer_organisation_id not in (None, actor.organisation_id):
        raise InvalidInput("a buyer declares its own contracts", field="buyer_organisation_id")
    provider = repo.get_organisation(session, command.provider_organisation_id)
    if provider is None or provider.type != OrganisationType.PROVIDER.value:
        raise InvalidInput("the provider must be an existing compute provider", field="provider_organisation_id")
    if provider.id == buyer:
        raise InvalidInput("a provider does not contract with itself", field="provider_organisation_id")
    key = normalise_contract_number(command.number)
    amount = check_fen("amount_fen", command.amount_fen)
    term = command.term_months
    if term is not None and (isinstance(term, bool) or not isinstance(term, int) or not 1 <= term <= MAX_TERM_MONTHS):
        raise InvalidInput(f"term_months is a whole number from 1 to {MAX_TERM_MONTHS}", field="term_months")
    if not isinstance(command.signed_on, date):
        raise InvalidInput("signed_on is a date", field="signed_on")
    items = _items(command.items, amount)
    if repo.contract_declared(session, provider.id, buyer, key) is not None:
        raise VoucherConflict(f"you already declared contract {command.number} with {provider.name}",
                              rule="contract.once")
    row = repo.add(session, VoucherContractRow(
        provider_organisation_id=provider.id, buyer_organisation_id=buyer, number=command.number.strip(),
        number_key=key, amount_fen=amount, signed_on=command.signed_on, term_months=term, items=items,
        through_platform=through_platform, status="declared", declared_by=actor.user_id, paid_fen=0))
    row.receipt = placed_event(session, "voucher.contract_declared", f"voucher_contract:{row.id}",
                              {"provider": provider.id, "buyer": buyer, "number_key": key, "amount_fen": amount,
                               "through_platform": through_platform, "by": actor.user_id}, buyer)
    return row


def readable_contract(session: Session, *, contract_id: int, actor: Principal,
                      for_update: bool = False) -> VoucherContractRow:
    """A contract its parties (and officers) may see; anyone else gets the 404 of a missing one."""
    row = repo.get_contract(session, contract_id, for_update=for_update)
    if row is None or not (actor.sees_all_tenants or actor.organisation_id in (
            row.buyer_organisation_id, row.provider_organisation_id)):
        raise VoucherNotFound(f"contract {contract_id} does not exist")
    return row


def list_contracts(session: Session, *, actor: Principal, offset: int = 0, limit: int = 100) -> Sequence[VoucherContractRow]:
    scope = None if actor.sees_all_tenants else actor.organisation_id
    return repo.list_contracts(session, organisation_id=scope, offset=offset, limit=limit)


def _as_provider(session: Session, contract_id: int, actor: Principal) -> VoucherContractRow:
    row = readable_contract(session, contract_id=contract_id, actor=actor, for_update=True)
    if actor.organisation_id != row.provider_organisation_id or actor.role is not Role.PROVIDER_ADMIN:
        raise Forbidden("only the provider's administrator confirms its contracts")
    return row


def confirm_contract(session: Session, *, contract_id: int, actor: Principal, confirm: bool = True) -> VoucherContractRow:
    """The provider attests the contract (or refuses it). A provider confirms one contract per number:
    a second buyer's declaration of the same number is refused here, to the provider only."""
    row = _as_provider(session, contract_id, actor)
    if row.status != "declared":
        raise VoucherConflict(f"contract {contract_id} is already {row.status}", rule="contract.confirmed")
    if not confirm:
        row.status = "refused"
    else:
        bill = contract_bill(row.provider_organisation_id, row.number)
        if repo.contract_by_bill(session, bill) is not None:
            raise VoucherConflict(f"you already confirmed a contract numbered {row.number}", rule="contract.number-unique")
        try:
            with session.begin_nested():
                row.bill, row.status, row.confirmed_by = bill, "confirmed", actor.user_id
                session.flush()
        except IntegrityError:
            raise VoucherConflict(f"you already confirmed a contract numbered {row.number}",
                                  rule="contract.number-unique") from None
    audit_event(session, "voucher.contract_confirmed" if confirm else "voucher.contract_refused",
                f"voucher_contract:{row.id}", {"by": actor.user_id, "bill": row.bill}, row.buyer_organisation_id)
    session.flush()
    return row


def confirm_payment(session: Session, *, contract_id: int, actor: Principal, paid_fen: int) -> VoucherContractRow:
    """The provider attests what the buyer has actually paid on a confirmed contract (cumulative)."""
    row = _as_provider(session, contract_id, actor)
    paid = check_fen("paid_fen", paid_fen)
    if row.status != "confirmed":
        raise VoucherConflict(f"contract {contract_id} is not confirmed", rule="contract.confirmed")
    if paid > int(row.amount_fen) or paid < int(row.paid_fen):
        raise InvalidInput("paid_fen runs from what was already confirmed up to the contract amount", field="paid_fen")
    row.paid_fen, row.payment_confirmed_by = paid, actor.user_id
    audit_event(session, "voucher.contract_paid", f"voucher_contract:{row.id}",
                {"by": actor.user_id, "paid_fen": paid}, row.buyer_organisation_id)
    session.flush()
    return row


def contract_facts(row: VoucherContractRow) -> ContractFacts:
    items = tuple(ContractItem(ItemKind(i["kind"]), int(i["amount_fen"]), i.get("ecosystem"), i.get("domestic"),
                               i.get("center")) for i in row.items or ())
    return ContractFacts(row.provider_organisation_id, row.buyer_organisation_id, int(row.amount_fen), row.signed_on,
                         row.term_months, row.status == "confirmed", int(row.paid_fen), bool(row.through_platform),
                         items)


def record_platform_order(session: Session, *, buyer: Principal, seller_organisation_id: int, number: str,
                          amount_fen: int, items: Sequence[dict[str, Any]], signed_on: date) -> VoucherContractRow:
    """An order the platform itself placed and cleared (e.g. a data-exchange order settled through the
    ledger): the platform is the party that knows it was signed and paid, so the record is created
    confirmed, paid and `through_platform`. Only platform services call this, never an edge, so no
    claimant can declare such a fact. Idempotent per (seller, number)."""
    bill = contract_bill(seller_organisation_id, number)
    existing = repo.contract_by_bill(session, bill)
    if existing is not None:
        return existing
    amount = check_fen("amount_fen", amount_fen)
    row = repo.add(session, VoucherContractRow(
        provider_organisation_id=seller_organisation_id, buyer_organisation_id=buyer.organisation_id,
        number=number.strip(), number_key=normalise_contract_number(number), amount_fen=amount,
        signed_on=signed_on, term_months=None, items=_items(items, amount), through_platform=True,
        status="confirmed", bill=bill, declared_by=buyer.user_id, paid_fen=amount))
    row.receipt = placed_event(session, "voucher.contract_declared", f"voucher_contract:{row.id}",
                              {"provider": seller_organisation_id, "buyer": buyer.organisation_id, "bill": bill,
                               "amount_fen": amount, "through_platform": True, "by": "platform"},
                              buyer.organisation_id)
    return row
