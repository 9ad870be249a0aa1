"""Voucher programs (算力券项目): load a program file, open and close its application window, the
budget left, and the forecast of the day the budget runs out.

Loading puts the year's budget on the program's non-negative budget account (platform equity ->
program budget), so every later grant is checked against real money in the ledger as well.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherProgramRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import (
    VoucherConflict,
    VoucherProgram,
    forecast_exhaustion,
    parse_program,
    program_hash,
)
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.forecast import Forecast, burn_down
from suanli.services import ledger
from suanli.services.vouchers.common import audit_event, ledger_account, placed_event

_programs: dict[str, VoucherProgram] = {}  # parsed program files by text hash (immutable once loaded)


def program_of(row: VoucherProgramRow) -> VoucherProgram:
    if row.text_hash not in _programs:
        _programs[row.text_hash] = parse_program(row.text)
    return _programs[row.text_hash]


def budget_left(row: VoucherProgramRow) -> int:
    """What grants may still use: the grantable part of the annual total (less the management costs when
    the program pays them inside its budget) less what was granted, plus what expired or was clawed back."""
    grantable = program_of(row).grantable_fen()
    return grantable - int(row.granted_fen) + int(row.returned_fen) + int(row.clawed_back_fen)


def program_row(session: Session, program_id: int, *, for_update: bool = False) -> VoucherProgramRow:
    """The program's row or a 404 (programs are public: no tenant scope)."""
    row = repo.get_program(session, program_id, for_update=for_update)
    if row is None:
        raise VoucherNotFound(f"voucher program {program_id} does not exist")
    return row


def load_program(session: Session, *, text: str, actor: Principal | None = None,
                 source: str | None = None) -> VoucherProgramRow:
    """Validate and record a program file; loading the same text again is a no-op, a changed file under
    the same id is refused (a published program never changes silently)."""
    program = parse_program(text, source=source)
    digest = program_hash(text)
    existing = repo.program_by_code(session, program.id)
    if existing is not None:
        if existing.text_hash == digest:
            return existing
        raise VoucherConflict(f"program {program.id!r} is already loaded with different text", rule="program.immutable")
    row = repo.add(session, VoucherProgramRow(
        code=program.id, year=program.year, title_zh=program.title.zh, title_en=program.title.en, text=text,
        text_hash=digest, side_mode=program.side.value, status="loaded", budget_fen=program.budget_fen,
        granted_fen=0, returned_fen=0, clawed_back_fen=0, loaded_by=actor.user_id if actor else None))
    budget = ledger_account(session, AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, row.id)
    equity = ledger_account(session, AccountPurpose.EQUITY, OwnerKind.PLATFORM, None)
    if program.budget_fen > 0:
        ledger.transfer(session, idempotency_key=f"voucher:budget:{row.id}", legs=[
            Leg(equity, program.budget_fen), Leg(budget, -program.budget_fen)],
            memo=f"annual budget of {program.id}", source_kind="voucher_program", source_id=str(row.id))
    row.budget_account_id = budget
    row.receipt = placed_event(session, "voucher.program_loaded", f"voucher_program:{row.id}",
                         {"code": program.id, "sha256": digest, "budget_fen": program.budget_fen})
    session.flush()
    return row


def fund_program(session: Session, *, program_id: int, amount_fen: int, idempotency_key: str,
                 actor: Principal | None = None) -> int:
    """The bureau pays (part of) the year's budget into the platform's bank account (拨付预算). The
    budget was committed on the program's budget account at load (from platform equity); the cash
    arriving restores equity, so the program's money is really there to pre-fund providers' reserve
    funds (备用金) and pay them. Returns the ledger transfer id; a replayed key changes nothing."""
    row = program_row(session, program_id)
    cash = ledger_account(session, AccountPurpose.CASH, OwnerKind.PLATFORM, None)
    equity = ledger_account(session, AccountPurpose.EQUITY, OwnerKind.PLATFORM, None)
    result = ledger.transfer(session, idempotency_key=idempotency_key, legs=[Leg(cash, amount_fen), Leg(equity, -amount_fen)],
                             memo=f"budget of {row.code} paid in", source_kind="program", source_id=str(row.id))
    if not result.replayed:
        audit_event(session, "voucher.program_funded", f"voucher_program:{row.id}",
               {"amount_fen": amount_fen, "transfer": result.id, "by": actor.user_id if actor else None})
    return result.id


def set_window(session: Session, *, program_id: int, open: bool, actor: Principal) -> VoucherProgramRow:
    row = program_row(session, program_id, for_update=True)
    row.status = "open" if open else "closed"
    audit_event(session, "voucher.window_opened" if open else "voucher.window_closed", f"voucher_program:{row.id}",
           {"by": actor.user_id})
    session.flush()
    return row


FORECAST_ROLES = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER, Role.AUDITOR)


def forecast(session: Session, *, program_id: int, today: date | None = None, window_days: int = 30,
             actor: Principal | None = None) -> tuple[Forecast, list[tuple[date, int]]]:
    """When does the budget run out at the current rate? And the burn-down so far (officers, finance
    and auditors; `actor` None is the system)."""
    if actor is not None and actor.role not in FORECAST_ROLES:
        raise Forbidden("the budget forecast is for program and finance officers")
    if isinstance(window_days, bool) or not isinstance(window_days, int) or not 1 <= window_days <= 366:
        raise InvalidInput("window_days must be a whole number from 1 to 366", field="window_days")
    today = today or utcnow().date()
    row = program_row(session, program_id)
    burn = [(created.date(), amount) for created, amount in repo.grants_by_day(session, row.id)]
    return forecast_exhaustion(budget_left(row), burn, today, window_days), burn_down(program_of(row).grantable_fen(), burn)
