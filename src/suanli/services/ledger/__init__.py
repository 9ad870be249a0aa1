"""The ledger's use cases (复式记账): open accounts, move money in balanced transfers, two-phase holds
(reserve -> post -> void), reversals, redemption batches (核销批次), balances, account statements and
accounting periods.

Every write goes through one path (`writes.write`): lock the holds, lock the involved accounts in id
order in one statement that also counts used keys and closed periods, answer replays, check in the
domain, insert transfers and legs in bulk, append the audit events in one call. The database re-checks
every invariant (migration 0002). Services only flush; the caller's unit of work commits.

`from suanli.services import ledger; ledger.transfer(...)` is the public surface; the modules are:
`accounts` (open, look up, audit seam), `transfers` (one request at a time), `batch` (many),
`statements` (periods, statements, consistency), `writes` (the write path).
"""

from suanli.domain.ledger.requests import Immediate, Post, Reserve, Reverse, Void
from suanli.services.ledger.accounts import (
    audit,
    clearing_account_for,
    get_account,
    list_accounts,
    natural_balance,
    open_account,
)
from suanli.services.ledger.batch import Redemption, redeem_batch
from suanli.services.ledger.statements import (
    AccountStatement,
    StatementEntry,
    account_statement,
    check_consistency,
    close_period,
)
from suanli.services.ledger.transfers import (
    get_transfer,
    list_transfers,
    post,
    reserve,
    reverse,
    transfer,
    void,
)
from suanli.services.ledger.writes import TransferResult

__all__ = [
    "AccountStatement", "Immediate", "Post", "Redemption", "Reserve", "Reverse", "StatementEntry", "TransferResult",
    "Void", "account_statement", "audit", "check_consistency", "clearing_account_for", "close_period", "get_account",
    "get_transfer", "list_accounts", "list_transfers", "natural_balance", "open_account", "post", "redeem_batch",
    "reserve", "reverse", "transfer", "void",
]
