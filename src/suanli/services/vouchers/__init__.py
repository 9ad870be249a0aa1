"""Voucher use cases (算力券): load a program file, open/close its window, apply, review with
separation of duties, grant within the budget, hold at admission and redeem against metered usage,
expire, claw back, forecast and publish the disclosure list (公示); the broker's subsidy policy and
billing's voucher seam.

Money moves through the ledger (services/ledger.py): each program has a non-negative budget account
funded from platform equity; a grant moves budget -> the organisation's voucher wallet; a redemption
moves wallet -> the provider (through billing) or the organisation's receivable (stand-alone path);
expiry moves the wallet's remainder back to the budget; a clawback moves the redeemed amount from the
receivable back to the budget. Counters on program and wallet rows are updated under a row lock and
re-checked by CHECK constraints, and the ledger's non-negative accounts check the same money a third
time. Every write appends an audit event and keeps its receipt. Services only flush.

One module per concept; this package re-exports the public functions so `services.vouchers.X` works.
"""

from suanli.db.models.vouchers import VoucherWalletRow
from suanli.domain.organisations import Principal
from suanli.services.vouchers.applications import ApplyCommand, apply, review
from suanli.services.vouchers.billing_seam import voucher_share
from suanli.services.vouchers.common import check_may_read, facts_of
from suanli.services.vouchers.disclosure import disclosure
from suanli.services.vouchers.grants import _grant, _wallet_for
from suanli.services.vouchers.programs import (
    _get_program,
    budget_left,
    forecast,
    fund_program,
    load_program,
    program_of,
    set_window,
)
from suanli.services.vouchers.receipts import grant_receipt, redemption_receipt
from suanli.services.vouchers.redemptions import (
    Claimed,
    ContractClaim,
    claim_contract,
    clawback,
    redeem_contract,
    redeem_usage,
)
from suanli.services.vouchers.subsidy import PayerSubsidy, subsidy_policy
from suanli.services.vouchers.wallets import (
    _best_wallet,
    _wallet_state,
    expire_wallets,
    hold_for_job,
    release_for_job,
    release_job_hold,
    reserve_for_job,
)

__all__ = [
    "ApplyCommand", "Claimed", "ContractClaim", "PayerSubsidy", "Principal", "VoucherWalletRow", "_best_wallet",
    "_get_program", "_grant", "_wallet_for", "_wallet_state", "apply", "budget_left", "check_may_read", "claim_contract",
    "clawback",
    "disclosure", "expire_wallets", "facts_of", "forecast", "fund_program", "grant_receipt", "hold_for_job", "load_program",
    "program_of", "redeem_contract", "redeem_usage", "redemption_receipt", "release_for_job", "release_job_hold",
    "reserve_for_job", "review", "set_window", "subsidy_policy", "voucher_share",
]
