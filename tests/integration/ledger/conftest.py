"""Ledger fixtures: a small chart of accounts opened through the service layer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.uow import unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.services import ledger


@dataclass
class Chart:
    cash: int
    budget: int
    wallet: int
    receivable: int
    payable: int
    reserve: int


def open_chart(session: Session, *, org: int = 1, provider: int = 2, program: int = 1) -> Chart:
    def account(purpose: AccountPurpose, kind: OwnerKind, owner: int | None, scope: str = "") -> int:
        return ledger.open_account(session, purpose=purpose, owner_kind=kind, owner_id=owner, scope=scope).id

    return Chart(
        cash=account(AccountPurpose.CASH, OwnerKind.PLATFORM, None),
        budget=account(AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, program),
        wallet=account(AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, org, f"program:{program}"),
        receivable=account(AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, org),
        payable=account(AccountPurpose.PROVIDER_PAYABLE, OwnerKind.ORGANISATION, provider),
        reserve=account(AccountPurpose.PROVIDER_RESERVE, OwnerKind.ORGANISATION, provider, f"program:{program}"),
    )


def fund(session: Session, chart: Chart, amount: int, key: str = "deposit") -> None:
    """The bureau deposits `amount` into the program budget, and grants all of it to the wallet."""
    ledger.transfer(session, idempotency_key=key, legs=[debit(chart.cash, amount), credit(chart.budget, amount)],
                    source_kind="manual", source_id="deposit")
    ledger.transfer(session, idempotency_key=key + ":grant",
                    legs=[debit(chart.budget, amount), credit(chart.wallet, amount)], source_kind="grant", source_id="1")


@pytest.fixture(name="fund")
def fund_fixture() -> object:
    return fund


@pytest.fixture
def chart(sessions: sessionmaker[Session]) -> Chart:
    with unit_of_work(sessions) as session:
        return open_chart(session)
