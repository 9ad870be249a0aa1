"""Voucher use cases (算力券): load a program file, open/close its window, apply, review with
separation of duties, grant within the budget, hold at admission and redeem against metered usage,
expire, claw back, forecast and publish the disclosure list (公示); the budget paid in and the
reserve funds (备用金) at designated providers; the broker's subsidy policy and billing's voucher seam.

Money moves through the ledger (services/ledger.py): each program has a non-negative budget account
funded from platform equity; a grant moves budget -> the organisation's voucher wallet; a redemption
moves wallet -> the provider (through billing) or the organisation's receivable (stand-alone path);
expiry moves the wallet's remainder back to the budget; a clawback moves the redeemed amount from the
receivable back to the budget. Counters on program and wallet rows are updated under a row lock and
re-checked by CHECK constraints, and the ledger's non-negative accounts check the same money a third
time. Every write appends an audit event and keeps its receipt. Services only flush.

The edges use only the names below: the use cases (each taking the acting principal) and the read
models with the tenant scope built in (`reads`). The functions other capabilities call are
`subsidy_policy` (quotes, placement), `voucher_share`, `hold_for_job` and `release_job_hold`
(billing), and `expire_due_wallets` (the worker).
"""

from suanli.domain.organisations import Principal
from suanli.services.vouchers.applications import ApplyCommand, apply, review
from suanli.services.vouchers.billing_seam import voucher_share
from suanli.services.vouchers.common import facts_of
from suanli.services.vouchers.contracts import (
    DeclareContract,
    confirm_contract,
    confirm_payment,
    declare_contract,
    list_contracts,
    readable_contract,
    record_platform_order,
)
from suanli.services.vouchers.disclosure import disclosure
from suanli.services.vouchers.document_requests import answer_request, document_requests, request_documents
from suanli.services.vouchers.documents import (
    Upload,
    document_content,
    get_document,
    list_documents,
    upload_document,
)
from suanli.services.vouchers.drafts import (
    DraftPreview,
    list_drafts,
    preview,
    propose_program,
    publish_draft,
    withdraw_draft,
)
from suanli.services.vouchers.grants import grant, wallet_for
from suanli.services.vouchers.programs import (
    budget_left,
    forecast,
    fund_program,
    load_program,
    program_of,
    program_row,
    set_window,
)
from suanli.services.vouchers.reads import (
    WalletView,
    get_application,
    get_grant,
    get_program,
    get_redemption,
    list_applications,
    list_programs,
    list_redemptions,
    list_wallets,
    wallet_view,
)
from suanli.services.vouchers.receipts import grant_receipt, redemption_receipt
from suanli.services.vouchers.redemptions import (
    Claimed,
    ContractClaim,
    claim_contract,
    clawback,
    record_usage_redemption,
    redeem_contract,
    redeem_usage,
)
from suanli.services.vouchers.reserves import ReserveReport, deposit_budget, fund_reserve, reserve_report
from suanli.services.vouchers.subsidy import PayerSubsidy, subsidy_policy
from suanli.services.vouchers.wallets import (
    best_wallet,
    expire_due_wallets,
    expire_wallets,
    hold_for_job,
    release_for_job,
    release_job_hold,
    reserve_for_job,
    wallet_state,
)

__all__ = [
    "ApplyCommand",
    "Claimed",
    "ContractClaim",
    "DeclareContract",
    "DraftPreview",
    "PayerSubsidy",
    "Principal",
    "ReserveReport",
    "Upload",
    "WalletView",
    "answer_request",
    "apply",
    "best_wallet",
    "budget_left",
    "claim_contract",
    "clawback",
    "confirm_contract",
    "confirm_payment",
    "declare_contract",
    "deposit_budget",
    "disclosure",
    "document_content",
    "document_requests",
    "expire_due_wallets",
    "expire_wallets",
    "facts_of",
    "forecast",
    "fund_program",
    "fund_reserve",
    "get_application",
    "get_document",
    "get_grant",
    "get_program",
    "get_redemption",
    "grant",
    "grant_receipt",
    "hold_for_job",
    "list_applications",
    "list_contracts",
    "list_documents",
    "list_drafts",
    "list_programs",
    "list_redemptions",
    "list_wallets",
    "load_program",
    "preview",
    "program_of",
    "program_row",
    "propose_program",
    "publish_draft",
    "readable_contract",
    "record_platform_order",
    "record_usage_redemption",
    "redeem_contract",
    "redeem_usage",
    "redemption_receipt",
    "release_for_job",
    "release_job_hold",
    "request_documents",
    "reserve_for_job",
    "reserve_report",
    "review",
    "set_window",
    "subsidy_policy",
    "upload_document",
    "voucher_share",
    "wallet_for",
    "wallet_state",
    "wallet_view",
    "withdraw_draft",
]
