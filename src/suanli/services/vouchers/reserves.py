"""Program money at the edges of the budget: the bureau paying the budget in (拨付预算) and the reserve
funds (备用金) a program places with its designated providers, which redemptions there draw down and
the finance batch tops back up. Every referent is checked here, for every edge: the program exists,
the provider is an existing provider organisation that operates a center the program designates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.domain.vouchers.bounds import check_fen, check_text
from suanli.services import ledger, settlement
from suanli.services.vouchers.common import audit_event
from suanli.services.vouchers.programs import fund_program, program_of, program_row

MONEY_ROLES = (Role.FINANCE_OFFICER, Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def _check_money_role(actor: Principal) -> None:
    if actor.role not in MONEY_ROLES:
        raise Forbidden("only finance and program officers move program money")


def deposit_budget(session: Session, *, program_id: int, amount_fen: int, idempotency_key: str,
                   actor: Principal) -> int:
    """The bureau pays (part of) a program's budget in; only to a program that exists (404 otherwise).
    Returns the ledger transfer id; a replayed key changes nothing."""
    _check_money_role(actor)
    check_fen("amount_fen", amount_fen)
    check_text("idempotency_key", idempotency_key, 200, required=True)
    program_row(session, program_id)
    return fund_program(session, program_id=program_id, amount_fen=amount_fen, idempotency_key=idempotency_key,
                        actor=actor)


def designated_provider_centers(session: Session, *, program_id: int, provider_organisation_id: int) -> list[str]:
    """The centers through which this organisation is a provider the program designates; refused
    (422 naming the field) when the organisation is missing, not a provider, or not designated."""
    field = "provider_organisation_id"
    org = repo.get_organisation(session, provider_organisation_id)
    if org is None:
        raise InvalidInput(f"organisation {provider_organisation_id} does not exist", field=field)
    if org.type != OrganisationType.PROVIDER.value:
        raise InvalidInput(f"{org.name} is not a compute provider", field=field)
    program = program_of(program_row(session, program_id))
    centers = repo.centers_of_provider(session, org.id)
    designated = program.orders.designated_providers
    usable = [c for c in centers if designated is None or c in designated]
    if not usable:
        raise InvalidInput(f"{org.name} operates no center that program {program.id} designates", field=field,
                           rule="order.designated-provider")
    return usable


def fund_reserve(session: Session, *, program_id: int, provider_organisation_id: int, amount_fen: int,
                 idempotency_key: str, actor: Principal) -> int:
    """Place (or top up) a program's reserve fund (备用金) with a designated provider. Returns the
    reserve account id; a replayed key changes nothing."""
    _check_money_role(actor)
    check_fen("amount_fen", amount_fen)
    check_text("idempotency_key", idempotency_key, 200, required=True)
    row = program_row(session, program_id)
    designated_provider_centers(session, program_id=row.id, provider_organisation_id=provider_organisation_id)
    account = settlement.prefund_reserve(session, program_id=row.id, provider_organisation_id=provider_organisation_id,
                                         amount_fen=amount_fen, idempotency_key=f"reserve:{row.id}:{idempotency_key}")
    audit_event(session, "voucher.reserve_funded", f"voucher_program:{row.id}",
                {"provider": provider_organisation_id, "amount_fen": amount_fen, "by": actor.user_id})
    return account


@dataclass(frozen=True, slots=True)
class ReserveReport:
    """One reserve fund: what was placed, what redemptions drew, what batches topped up, the balance."""

    program_id: int
    provider_organisation_id: int
    account_id: int
    funded_fen: int
    drawn_fen: int
    topped_up_fen: int
    balance_fen: int


def reserve_report(session: Session, *, program_id: int, actor: Principal) -> list[ReserveReport]:
    """Every reserve fund of a program (officers and auditors; a provider sees its own)."""
    program_row(session, program_id)
    accounts = ledger.list_accounts(session, purpose=AccountPurpose.PROVIDER_RESERVE.value)
    reports = []
    for account in accounts:
        if account.scope != f"program:{program_id}" or account.owner_kind != OwnerKind.ORGANISATION.value:
            continue
        owner = int(account.owner_id or 0)
        if not actor.may_read_organisation(owner):
            continue
        funded = drawn = topped = 0
        for transfer in ledger.list_transfers(session, account_id=account.id, limit=None):
            leg = sum(int(x.amount_fen) for x in transfer.legs if x.account_id == account.id)
            if transfer.source_kind == "reserve_fund":
                funded += leg
            elif transfer.source_kind == "batch":
                topped += leg
            else:
                drawn -= leg
        reports.append(ReserveReport(program_id, owner, account.id, funded, drawn, topped,
                                     ledger.natural_balance(account)))
    return reports
