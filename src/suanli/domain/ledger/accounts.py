"""Ledger accounts: the five accounting types, the purposes an account serves for its owner, and
which balances must never go below zero.

Sign convention (one for the whole ledger): a leg's `amount_fen` is positive for a DEBIT and negative
for a CREDIT. An account's raw balance is the sum of its legs; its *natural* balance is the raw balance
times its normal sign (+1 for debit-normal asset/expense, -1 for credit-normal liability/income/equity),
so a healthy wallet (a liability) shows a positive natural balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from suanli.domain.money import CURRENCY, Fen


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"

    @property
    def normal_sign(self) -> int:
        """+1 when debits increase the natural balance, -1 when credits do."""
        return 1 if self in (AccountType.ASSET, AccountType.EXPENSE) else -1


class AccountPurpose(StrEnum):
    PROGRAM_BUDGET = "program_budget"  # a voucher program's unallocated budget (预算)
    VOUCHER_WALLET = "voucher_wallet"  # an organisation's granted vouchers under one program (算力券)
    ORG_RECEIVABLE = "org_receivable"  # what an organisation owes the platform for compute
    PROVIDER_PAYABLE = "provider_payable"  # what the platform owes a provider (算力供给方)
    PROVIDER_RESERVE = "provider_reserve"  # program money placed with a provider in advance (备用金)
    CLAIMANT_PAYABLE = "claimant_payable"  # voucher money owed to a claimant paid directly (direct_to_claimant)
    PLATFORM_FEE_INCOME = "platform_fee_income"
    CLEARING = "clearing"  # holds of pending (two-phase) transfers, one per owner
    CASH = "cash"  # the platform's bank account
    EQUITY = "equity"  # opening balances and corrections


@dataclass(frozen=True, slots=True)
class PurposeRule:
    type: AccountType
    non_negative: bool  # the natural balance may never go below zero


PURPOSES: dict[AccountPurpose, PurposeRule] = {
    # A budget or a wallet below zero would be money the program never had.
    AccountPurpose.PROGRAM_BUDGET: PurposeRule(AccountType.LIABILITY, True),
    AccountPurpose.VOUCHER_WALLET: PurposeRule(AccountType.LIABILITY, True),
    # Negative receivable = the organisation paid in advance; allowed.
    AccountPurpose.ORG_RECEIVABLE: PurposeRule(AccountType.ASSET, False),
    # Paying a provider more than it is owed, or drawing more than its reserve holds, invents money.
    AccountPurpose.PROVIDER_PAYABLE: PurposeRule(AccountType.LIABILITY, True),
    AccountPurpose.PROVIDER_RESERVE: PurposeRule(AccountType.ASSET, True),
    # Paying a claimant more than its redemptions owe it invents money, as for a provider.
    AccountPurpose.CLAIMANT_PAYABLE: PurposeRule(AccountType.LIABILITY, True),
    AccountPurpose.PLATFORM_FEE_INCOME: PurposeRule(AccountType.INCOME, False),
    # Releasing a hold that was never taken would create money out of thin air.
    AccountPurpose.CLEARING: PurposeRule(AccountType.LIABILITY, True),
    AccountPurpose.CASH: PurposeRule(AccountType.ASSET, True),
    AccountPurpose.EQUITY: PurposeRule(AccountType.EQUITY, False),
}


class OwnerKind(StrEnum):
    PLATFORM = "platform"
    ORGANISATION = "organisation"  # users and providers alike are organisations
    PROGRAM = "program"
    CENTER = "center"  # a center with no provider organisation on record


def account_code(purpose: AccountPurpose, owner_kind: OwnerKind, owner_id: int | None, scope: str = "") -> str:
    """The stable, unique name of an account, e.g. `voucher_wallet:organisation:7:program:2`."""
    parts = [purpose.value, owner_kind.value] + ([str(owner_id)] if owner_id is not None else []) + ([scope] if scope else [])
    return ":".join(parts)


@dataclass(frozen=True, slots=True)
class AccountState:
    """What a posting needs to know about one account: its rules and its current raw balance."""

    id: int
    code: str
    normal_sign: int
    non_negative: bool
    balance_fen: Fen  # raw (debit-positive) sum of the account's legs
    currency: str = CURRENCY

    @property
    def natural_balance(self) -> Fen:
        return self.balance_fen * self.normal_sign
