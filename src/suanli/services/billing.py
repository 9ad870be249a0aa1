"""Billing: the job worker's three hooks, which turn jobs and metered usage into ledger postings.

- `on_job_admitted`: reserve the job's most expensive outcome (all devices for the whole time limit)
  as a hold on the organisation's receivable, payable to the provider;
- `on_usage_metered`: price one usage record (list price), ask the voucher engine for its share
  (the seam below), post the organisation's part out of the hold (anything beyond it directly), the
  voucher's part out of the wallet, the platform fee, and a draw-down of the provider's reserve fund
  (备用金) so the provider is paid the voucher share at once; exactly once per usage record;
- `on_job_ended`: release what is left of the hold.

The voucher seam: the installed `ports.VoucherEngine` (`voucher_share`, `hold_for_job`,
`release_job_hold`), or none when vouchers are switched off.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.federation import PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import LedgerChargeRow
from suanli.db.repositories import ledger as repo
from suanli.domain.billing import DEFAULT_RULE, expected_charge, platform_fee, price_usage, split_charge
from suanli.domain.errors import NotFound
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind, account_code
from suanli.domain.ledger.periods import period_of
from suanli.domain.money import Fen
from suanli.services import ledger
from suanli.services.ports import VoucherShare, installed

__all__ = ["VoucherShare", "on_job_admitted", "on_job_ended", "on_usage_metered"]


# --- accounts ---------------------------------------------------------------------------------------------


def receivable_account(session: Session, organisation_id: int) -> int:
    return ledger.open_account(session, purpose=AccountPurpose.ORG_RECEIVABLE, owner_kind=OwnerKind.ORGANISATION,
                               owner_id=organisation_id).id


def provider_owner(pool: PoolRow) -> tuple[OwnerKind, int]:
    """Providers are organisations; a center with no provider organisation on record is paid as itself."""
    center = pool.center
    if center.provider_organisation_id is not None:
        return OwnerKind.ORGANISATION, center.provider_organisation_id
    return OwnerKind.CENTER, center.id


def payable_account(session: Session, pool: PoolRow) -> int:
    kind, owner = provider_owner(pool)
    return ledger.open_account(session, purpose=AccountPurpose.PROVIDER_PAYABLE, owner_kind=kind, owner_id=owner).id


def _pool(session: Session, pool_id: int | None) -> PoolRow:
    pool = session.get(PoolRow, pool_id) if pool_id is not None else None
    if pool is None:
        raise NotFound(f"pool {pool_id} does not exist")
    return pool


# --- the hooks ----------------------------------------------------------------------------------------------


def on_job_admitted(session: Session, *, job: JobRow) -> None:
    """Reserve the job's expected charge: the voucher's expected share on the organisation's wallet
    (when a voucher applies at this center) and the rest on its receivable, both payable to the
    provider. Idempotent per job and pool; a re-placed job's older holds are voided."""
    if job.pool_id is None:
        return
    pool = _pool(session, job.pool_id)
    amount = expected_charge(pool.price_fen_per_device_hour, job.devices, job.time_limit_s, DEFAULT_RULE)
    key = f"job:{job.id}:reserve:pool:{pool.id}"
    voucher_key = f"job:{job.id}:voucher:pool:{pool.id}"
    _release_voucher_hold(session, job, keep=voucher_key)
    for hold in repo.open_holds(session, source_kind="job", source_id=str(job.id)):
        if hold.idempotency_key not in (key, voucher_key):
            ledger.void(session, idempotency_key=f"job:{job.id}:void:{hold.id}", pending_id=hold.id,
                        memo="job placed elsewhere")
    if amount <= 0:
        return
    payable = payable_account(session, pool)
    voucher_part = _hold_voucher_share(session, job, pool, payable, amount, voucher_key)
    if amount - voucher_part > 0:
        ledger.reserve(session, idempotency_key=key, debit_account_id=receivable_account(session, job.organisation_id),
                       credit_account_id=payable, amount_fen=amount - voucher_part,
                       memo=f"job {job.id}: {job.devices} x {pool.name} for {job.time_limit_s} s",
                       source_kind="job", source_id=str(job.id))


def _hold_voucher_share(session: Session, job: JobRow, pool: PoolRow, payable: int, amount: Fen, key: str) -> Fen:
    """Ask the voucher engine to hold its expected share of `amount` on the wallet (0: none applies)."""
    vouchers = installed().vouchers
    if vouchers is None:
        return 0
    return vouchers.hold_for_job(session, job_id=job.id, organisation_id=job.organisation_id,
                                 center=pool.center.name, payable_account_id=payable, estimate_fen=amount,
                                 idempotency_key=key)


def _release_voucher_hold(session: Session, job: JobRow, *, keep: str | None = None) -> None:
    """Release the voucher engine's hold for the job (its counters move with the money)."""
    vouchers = installed().vouchers
    if vouchers is None:
        return
    if keep is None:
        vouchers.release_job_hold(session, job_id=job.id, reason="job ended")
        return
    stale = [h for h in repo.open_holds(session, source_kind="job", source_id=str(job.id))
             if h.idempotency_key.startswith(f"job:{job.id}:voucher:") and h.idempotency_key != keep]
    if stale:
        vouchers.release_job_hold(session, job_id=job.id, reason="job placed elsewhere")


def on_job_ended(session: Session, *, job: JobRow) -> None:
    """Release whatever is still held for the job: the voucher's hold back to the wallet, the rest."""
    _release_voucher_hold(session, job)
    for hold in repo.open_holds(session, source_kind="job", source_id=str(job.id)):
        ledger.void(session, idempotency_key=f"job:{job.id}:void:{hold.id}", pending_id=hold.id, memo="job ended")


def on_usage_metered(session: Session, *, usage: UsageRecordRow) -> None:
    """Price one usage record and post it; a second call for the same record changes nothing."""
    existing = repo.get_charge_for_usage(session, usage.id)
    if existing is not None:
        usage.charge_fen = existing.list_price_fen
        return
    pool = _pool(session, usage.pool_id)
    list_price = price_usage(pool.price_fen_per_device_hour, usage.device_seconds, DEFAULT_RULE)
    usage.charge_fen = list_price
    share = _share(session, usage, list_price)
    split = split_charge(list_price, share.subsidy_fen if share else 0)
    fee = platform_fee(list_price, DEFAULT_RULE)
    payable = payable_account(session, pool)
    receivable = receivable_account(session, usage.organisation_id)
    unheld = _post_from_holds(session, usage, receivable, payable, split.amount_due_fen)
    direct = split.subsidy_fen - _post_from_voucher_hold(session, usage, share, split.subsidy_fen)
    reserve_id, drawn = _reserve_draw(session, pool, share, split.subsidy_fen, list_price - fee)
    legs = _merge([
        Leg(receivable, unheld),
        Leg(share.wallet_account_id if share and share.wallet_account_id else 0, direct),
        Leg(payable, -(unheld + direct) + fee + drawn),
        Leg(_fee_account(session), -fee) if fee else Leg(0, 0),
        Leg(reserve_id or 0, -drawn),
    ])
    if legs:
        ledger.transfer(session, idempotency_key=f"usage:{usage.id}:charge", legs=legs, source_kind="usage_record",
                        source_id=str(usage.id), memo=f"job {usage.job_id} step {usage.step}")
    session.add(LedgerChargeRow(
        usage_record_id=usage.id, job_id=usage.job_id, organisation_id=usage.organisation_id,
        provider_account_id=payable, pool_id=pool.id, month=period_of(utcnow()), device_seconds=usage.device_seconds,
        price_fen_per_device_hour=pool.price_fen_per_device_hour, list_price_fen=list_price,
        subsidy_fen=split.subsidy_fen, amount_due_fen=split.amount_due_fen, fee_fen=fee, from_reserve_fen=drawn,
        reserve_account_id=reserve_id if drawn else None,
        program=share.program if share else None, subsidy_reasons="; ".join(share.reasons if share else ())[:1000]))
    session.flush()
    ledger.audit(session, "billing.usage_charged", f"usage_record:{usage.id}",
                 {"list_price_fen": list_price, "subsidy_fen": split.subsidy_fen, "amount_due_fen": split.amount_due_fen,
                  "fee_fen": fee, "from_reserve_fen": drawn, "program": share.program if share else None},
                 organisation_id=usage.organisation_id)


def _share(session: Session, usage: UsageRecordRow, list_price: Fen) -> VoucherShare | None:
    """The voucher's share, capped by what the wallet really holds (the ledger has the last word)."""
    vouchers = installed().vouchers
    share = vouchers.voucher_share(session, usage=usage, charge_fen=list_price) if vouchers and list_price > 0 else None
    if share is None or share.subsidy_fen <= 0:
        return None
    wallet = share.wallet_account_id or ledger.open_account(
        session, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
        owner_id=usage.organisation_id, scope=f"program:{share.program_id}").id
    # What the wallet holds now, plus what the admission hold already set aside for this share.
    available = max(ledger.natural_balance(ledger.get_account(session, account_id=wallet)), 0) + share.from_hold_fen
    return VoucherShare(min(share.subsidy_fen, available), share.program_id, wallet, share.program, share.reasons,
                        share.hold_id, share.from_hold_fen)


def _post_from_voucher_hold(session: Session, usage: UsageRecordRow, share: VoucherShare | None, subsidy: Fen) -> Fen:
    """Post the voucher's part out of the wallet hold opened at admission; return the fen posted."""
    if share is None or share.hold_id is None or subsidy <= 0:
        return 0
    take = min(subsidy, share.from_hold_fen)
    if take > 0:
        ledger.post(session, idempotency_key=f"usage:{usage.id}:voucher-hold:{share.hold_id}", pending_id=share.hold_id,
                    amount_fen=take, final=False, source_kind="usage_record", source_id=str(usage.id))
    return take


def _post_from_holds(session: Session, usage: UsageRecordRow, receivable: int, payable: int, due: Fen) -> Fen:
    """Post the organisation's part out of its own holds for the job at this provider (not the
    voucher's wallet hold); return what they did not cover."""
    for hold in repo.open_holds(session, source_kind="job", source_id=str(usage.job_id)):
        take = min(due, int(hold.amount_fen - hold.posted_fen - hold.released_fen))
        if hold.credit_account_id != payable or hold.debit_account_id != receivable or take <= 0:
            continue
        ledger.post(session, idempotency_key=f"usage:{usage.id}:hold:{hold.id}", pending_id=hold.id, amount_fen=take,
                    final=False, source_kind="usage_record", source_id=str(usage.id))
        due -= take
    return due


def _reserve_draw(session: Session, pool: PoolRow, share: VoucherShare | None, subsidy: Fen,
                  ceiling: Fen) -> tuple[int | None, Fen]:
    """How much of the voucher share the provider's reserve fund of this program pays at once."""
    if share is None or share.program_id is None or subsidy <= 0:
        return None, 0
    kind, owner = provider_owner(pool)
    code = account_code(AccountPurpose.PROVIDER_RESERVE, kind, owner, f"program:{share.program_id}")
    account = repo.get_account_by_code(session, code)
    if account is None:
        return None, 0
    return account.id, max(min(subsidy, ledger.natural_balance(account), ceiling), 0)


def _fee_account(session: Session) -> int:
    return ledger.open_account(session, purpose=AccountPurpose.PLATFORM_FEE_INCOME, owner_kind=OwnerKind.PLATFORM).id


def _merge(legs: list[Leg]) -> list[Leg]:
    """Combine legs per account and drop zeros (account 0 marks a leg that does not apply)."""
    totals: dict[int, Fen] = {}
    for one in legs:
        if one.account_id and one.amount_fen:
            totals[one.account_id] = totals.get(one.account_id, 0) + one.amount_fen
    return [Leg(account, amount) for account, amount in totals.items() if amount]
