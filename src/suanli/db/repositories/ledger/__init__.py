"""All SQL of the ledger, as a package: `accounts` (accounts and periods), `writes` (the write path's
pre-built Core statements), `transfers` (reading transfers, legs, holds and entries), `documents`
(charges, invoices, statements, batches) and `consistency` (`check_consistency`).

Every name is re-exported here, so `from suanli.db.repositories import ledger as repo; repo.charges(...)`
keeps working as it did when this was one module.
"""

from __future__ import annotations

from suanli.db.repositories.ledger._common import A, L, T, _dialect, _insert
from suanli.db.repositories.ledger.accounts import (
    account_id_by_code,
    balance_from_legs,
    close_period,
    get_account,
    get_account_by_code,
    insert_account,
    list_accounts,
    list_periods,
    period_closed,
)
from suanli.db.repositories.ledger.consistency import check_consistency, check_documents
from suanli.db.repositories.ledger.documents import (
    DOCUMENTS_LOCK,
    charge_organisations,
    charge_providers,
    charges,
    claim_charges,
    find_invoice,
    find_statement,
    get_batch,
    get_charge_for_usage,
    get_invoice,
    get_statement,
    invoice_lines,
    list_batches,
    list_invoices,
    list_statements,
    lock_documents,
    next_number,
    next_sequence,
    statement_charges,
    unbilled_charges,
)
from suanli.db.repositories.ledger.transfers import (
    account_entries,
    get_transfer,
    hold_of,
    legs_of,
    list_transfers,
    open_holds,
    sum_before,
    transfers_with_legs,
    update_transfer,
)
from suanli.db.repositories.ledger.writes import (
    _CLOSED,
    _EXISTING,
    _INSERT_LEGS,
    _INSERT_TRANSFERS,
    _KEYS,
    _LEGS,
    _PG_WRITE,
    _SEAL,
    _SETTLE_HOLD,
    _TRANSFER_COLUMNS,
    _TRANSFERS,
    AT,
    LT,
    PT,
    TT,
    Locked,
    _ids,
    _utc,
    _write_postgres,
    closed_months,
    existing_accounts,
    forget,
    lock_accounts,
    lock_hold_and_accounts,
    lock_holds,
    used_keys,
    write_transfers,
)

__all__ = [  # noqa: RUF022  (grouped: public names, then the old module's private ones)
    "AT", "DOCUMENTS_LOCK", "LT", "PT", "TT", "A", "L", "Locked", "T", "account_entries", "account_id_by_code",
    "balance_from_legs", "charge_organisations", "charge_providers", "charges", "check_consistency",
    "check_documents", "claim_charges", "close_period", "closed_months", "existing_accounts", "find_invoice",
    "find_statement", "forget", "get_account", "get_account_by_code", "get_batch", "get_charge_for_usage",
    "get_invoice", "get_statement", "get_transfer", "hold_of", "insert_account", "invoice_lines", "legs_of",
    "list_accounts", "list_batches", "list_invoices", "list_periods", "list_statements", "list_transfers",
    "lock_accounts", "lock_documents", "lock_hold_and_accounts", "lock_holds", "next_number", "next_sequence", "open_holds",
    "period_closed", "statement_charges", "sum_before", "transfers_with_legs", "unbilled_charges",
    "update_transfer", "used_keys", "write_transfers",
    # the old module's private names, for code that reached into it
    "_CLOSED", "_EXISTING", "_INSERT_LEGS", "_INSERT_TRANSFERS", "_KEYS", "_LEGS",
    "_PG_WRITE", "_SEAL", "_SETTLE_HOLD", "_TRANSFERS", "_TRANSFER_COLUMNS", "_dialect",
    "_ids", "_insert", "_utc", "_write_postgres",
]
