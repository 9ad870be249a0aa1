"""Read-only queries the web UI needs beyond the services': counts for role home pages, names for
ids, a provider's centers, orders and statements. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.db.models.awards import AwardApplicationRow
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.forms import FormKeyRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import DisbursementBatchRow, LedgerAccountRow, SettlementStatementRow
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.models.vouchers import VoucherApplicationRow, VoucherWalletRow


def job_counts(session: Session, *, organisation_id: int | None, user_id: int | None = None) -> dict[str, int]:
    query = select(JobRow.state, func.count()).group_by(JobRow.state)
    if organisation_id is not None:
        query = query.where(JobRow.organisation_id == organisation_id)
    if user_id is not None:
        query = query.where(JobRow.user_id == user_id)
    return {state: int(n) for state, n in session.execute(query).all()}


def application_counts(session: Session) -> dict[str, int]:
    query = select(VoucherApplicationRow.status, func.count()).group_by(VoucherApplicationRow.status)
    return {status: int(n) for status, n in session.execute(query).all()}


def award_applications_submitted(session: Session) -> int:
    """Award applications (申报) awaiting the bureau's review."""
    query = select(func.count()).select_from(AwardApplicationRow).where(AwardApplicationRow.status == "submitted")
    return int(session.scalar(query) or 0)


def organisation_names(session: Session, ids: Sequence[int]) -> dict[int, OrganisationRow]:
    if not ids:
        return {}
    rows = session.scalars(select(OrganisationRow).where(OrganisationRow.id.in_(set(ids)))).all()
    return {r.id: r for r in rows}


def usernames(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(set(ids)))).all())


def pool_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(select(PoolRow.id, CenterRow.name, PoolRow.name).join(CenterRow, CenterRow.id == PoolRow.center_id)
                           .where(PoolRow.id.in_(set(ids)))).all()
    return {pid: (center, pool) for pid, center, pool in rows}


def centers_of_provider(session: Session, organisation_id: int) -> Sequence[CenterRow]:
    return session.scalars(select(CenterRow).where(CenterRow.provider_organisation_id == organisation_id)
                           .order_by(CenterRow.id)).all()


def orders_at_centers(session: Session, center_ids: Sequence[int], limit: int = 100) -> list[tuple[JobRow, str, str]]:
    """Jobs placed on these centers' pools (a provider's orders), newest first, with center and pool."""
    if not center_ids:
        return []
    rows = session.execute(
        select(JobRow, CenterRow.name, PoolRow.name)
        .join(PoolRow, PoolRow.id == JobRow.pool_id).join(CenterRow, CenterRow.id == PoolRow.center_id)
        .where(CenterRow.id.in_(center_ids)).order_by(JobRow.id.desc()).limit(limit)).all()
    return [(job, center, pool) for job, center, pool in rows]


def usage_totals_by_center(session: Session, center_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """center id -> (device-seconds, list-price charge in fen) metered so far."""
    if not center_ids:
        return {}
    rows = session.execute(select(UsageRecordRow.center_id, func.sum(UsageRecordRow.device_seconds),
                                  func.sum(UsageRecordRow.charge_fen))
                           .where(UsageRecordRow.center_id.in_(center_ids)).group_by(UsageRecordRow.center_id)).all()
    return {cid: (int(ds or 0), int(fen or 0)) for cid, ds, fen in rows}


def provider_accounts(session: Session, *, purpose: str, organisation_id: int | None = None) -> Sequence[LedgerAccountRow]:
    query = select(LedgerAccountRow).where(LedgerAccountRow.purpose == purpose).order_by(LedgerAccountRow.id)
    if organisation_id is not None:
        query = query.where(LedgerAccountRow.owner_kind == "organisation", LedgerAccountRow.owner_id == organisation_id)
    return session.scalars(query).all()


def statements_for_accounts(session: Session, account_ids: Sequence[int]) -> Sequence[SettlementStatementRow]:
    if not account_ids:
        return []
    return session.scalars(select(SettlementStatementRow).where(SettlementStatementRow.provider_account_id.in_(account_ids))
                           .order_by(SettlementStatementRow.id.desc())).all()


def statements_in_batch(session: Session, batch_id: int) -> Sequence[SettlementStatementRow]:
    return session.scalars(select(SettlementStatementRow).where(SettlementStatementRow.batch_id == batch_id)
                           .order_by(SettlementStatementRow.id)).all()


def account_owners(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """account id -> (Chinese name, English name) of the organisation or center that owns it."""
    if not ids:
        return {}
    rows = session.execute(select(LedgerAccountRow.id, LedgerAccountRow.owner_kind, LedgerAccountRow.owner_id,
                                  LedgerAccountRow.name).where(LedgerAccountRow.id.in_(set(ids)))).all()
    orgs = organisation_names(session, [o for _i, kind, o, _n in rows if kind == "organisation" and o])
    center_ids = [o for _i, kind, o, _n in rows if kind == "center" and o]
    centers = {c.id: c for c in session.scalars(select(CenterRow).where(CenterRow.id.in_(center_ids)))} if center_ids else {}
    out: dict[int, tuple[str, str]] = {}
    for account_id, kind, owner, name in rows:
        if kind == "organisation" and owner in orgs:
            out[account_id] = (orgs[owner].name_zh, orgs[owner].name)
        elif kind == "center" and owner in centers:
            out[account_id] = (centers[owner].name_zh, centers[owner].name)
        else:
            out[account_id] = (name, name)
    return out


def grant_facts(session: Session, program_id: int) -> list[tuple[str | None, str, int]]:
    """(application sector, organisation type, amount) of every grant of a program."""
    from suanli.db.models.vouchers import VoucherGrantRow

    rows = session.execute(
        select(VoucherApplicationRow.sector, OrganisationRow.type, VoucherGrantRow.amount_fen)
        .join(VoucherApplicationRow, VoucherApplicationRow.id == VoucherGrantRow.application_id)
        .join(OrganisationRow, OrganisationRow.id == VoucherGrantRow.organisation_id)
        .where(VoucherGrantRow.program_id == program_id)).all()
    return [(sector, kind, int(amount)) for sector, kind, amount in rows]


def redeemed_by_provider(session: Session, program_id: int) -> list[tuple[str, int]]:
    from suanli.db.models.vouchers import VoucherRedemptionRow

    rows = session.execute(
        select(VoucherRedemptionRow.provider, func.sum(VoucherRedemptionRow.amount_fen))
        .where(VoucherRedemptionRow.program_id == program_id, VoucherRedemptionRow.status != "clawed_back")
        .group_by(VoucherRedemptionRow.provider).order_by(VoucherRedemptionRow.provider)).all()
    return [(provider, int(amount or 0)) for provider, amount in rows]


def organisations_of_type(session: Session, kind: str) -> Sequence[OrganisationRow]:
    return session.scalars(select(OrganisationRow).where(OrganisationRow.type == kind).order_by(OrganisationRow.id)).all()


def form_key_target(session: Session, *, key: str, user_id: int) -> str | None:
    row = session.get(FormKeyRow, key)
    if row is None:
        return None
    # Someone else's key (never expected: keys are random) is not theirs to learn about: a new key.
    return row.target if row.user_id == user_id else "/home"


def record_form_key(session: Session, *, key: str, user_id: int, target: str) -> None:
    session.add(FormKeyRow(key=key, user_id=user_id, target=target))
    session.flush()


def batch_counts(session: Session) -> dict[str, int]:
    query = select(DisbursementBatchRow.status, func.count()).group_by(DisbursementBatchRow.status)
    return {status: int(n) for status, n in session.execute(query).all()}


def expiring_wallets(session: Session, *, organisation_id: int, before: date) -> int:
    query = select(func.count()).select_from(VoucherWalletRow).where(
        VoucherWalletRow.organisation_id == organisation_id, VoucherWalletRow.status == "active",
        VoucherWalletRow.expires_on <= before)
    return int(session.scalar(query) or 0)


def own_application_counts(session: Session, organisation_id: int) -> dict[str, int]:
    query = (select(VoucherApplicationRow.status, func.count()).where(VoucherApplicationRow.organisation_id == organisation_id)
             .group_by(VoucherApplicationRow.status))
    return {status: int(n) for status, n in session.execute(query).all()}


def unhealthy_centers(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(CenterRow).where(CenterRow.healthy.is_(False))) or 0)


def running_orders(session: Session, organisation_id: int) -> int:
    query = (select(func.count()).select_from(JobRow).join(PoolRow, PoolRow.id == JobRow.pool_id)
             .join(CenterRow, CenterRow.id == PoolRow.center_id)
             .where(CenterRow.provider_organisation_id == organisation_id, JobRow.state.in_(("dispatched", "running"))))
    return int(session.scalar(query) or 0)
