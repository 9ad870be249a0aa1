"""The typed seams where one capability meets another (端口).

The job core (dispatch, metering) calls billing at three points of a job's life, asks placement for a
pool, and billing and quotes ask the voucher engine (算力券) for its share. Each seam is a Protocol
here; `suanli.bootstrap` builds the one `Capabilities` that fills them, from configuration, so a
capability left out is simply `None` and its callers skip it. mypy checks every call and every
implementation (a module satisfies a Protocol structurally), so a rename fails the build instead of
silently dropping subsidies as a by-name lookup did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from suanli.domain.money import Fen
from suanli.domain.subsidy import SubsidyPolicy

if TYPE_CHECKING:
    from suanli.db.models.jobs import JobRow, UsageRecordRow


@dataclass(frozen=True, slots=True)
class VoucherShare:
    """The voucher engine's answer for one charge: how much the voucher pays and from where."""

    subsidy_fen: Fen
    program_id: int | None = None  # selects the wallet and the provider's reserve fund of this program
    wallet_account_id: int | None = None  # default: the organisation's wallet of `program_id`
    program: str | None = None  # the program's name, shown on invoice lines
    reasons: tuple[str, ...] = ()
    hold_id: int | None = None  # the wallet hold opened at admission that this share is posted out of
    from_hold_fen: Fen = 0  # how much of `subsidy_fen` comes out of that hold (the rest straight from the wallet)


class JobLifecycle(Protocol):
    """Billing's three moments in a job's life (reserve, charge each usage record, release)."""

    def on_job_admitted(self, session: Session, *, job: JobRow) -> None: ...

    def on_usage_metered(self, session: Session, *, usage: UsageRecordRow) -> None: ...

    def on_job_ended(self, session: Session, *, job: JobRow) -> None: ...


class Placer(Protocol):
    """The broker over the database: give queued auto jobs a pool; move a rejected job on."""

    def place_queued_jobs(self, session: Session) -> int: ...

    def next_option_after_rejection(self, session: Session, *, job: JobRow, reason: str) -> int | None: ...


class VoucherEngine(Protocol):
    """What billing and quotes ask the voucher engine."""

    def subsidy_policy(self, session: Session, *, organisation_ids: Sequence[int]) -> SubsidyPolicy: ...

    def voucher_share(self, session: Session, *, usage: UsageRecordRow, charge_fen: Fen) -> VoucherShare | None: ...

    def hold_for_job(self, session: Session, *, job_id: int, organisation_id: int, center: str,
                     payable_account_id: int, estimate_fen: Fen, idempotency_key: str) -> Fen: ...

    def release_job_hold(self, session: Session, *, job_id: int, reason: str) -> Fen: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Which capabilities this process runs with; `None` means switched off by configuration."""

    lifecycle: JobLifecycle | None = None
    placer: Placer | None = None
    vouchers: VoucherEngine | None = None


_installed: list[Capabilities] = []


def install(capabilities: Capabilities) -> Capabilities:
    """Make `capabilities` the ones every service call sees (the bootstrap does this once per process)."""
    _installed[:] = [capabilities]
    return capabilities


def installed() -> Capabilities:
    """The installed capabilities. A process that never bootstrapped (a script or a test importing
    services directly) gets the default wiring, so using the services as a library is the whole
    product rather than a silently reduced one."""
    if not _installed:
        from suanli import bootstrap  # the composition root imports every capability; only on first use

        bootstrap.wire()
    return _installed[0]
