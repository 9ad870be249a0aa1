"""Compute vouchers (算力券) as policy files: the pure rules of programs, eligibility, grants,
wallets, redemption, review, forecasts and the broker's subsidy estimate. No I/O."""

from suanli.domain.vouchers.amounts import (
    CapMode,
    Order,
    PriorClaim,
    claim_key,
    clawback_amount,
    grant_amount,
    organisation_cap,
    redemption_amount,
)
from suanli.domain.vouchers.eligibility import Application, check_application, check_organisation
from suanli.domain.vouchers.errors import (
    InvalidProgramFile,
    SeparationOfDuties,
    VoucherConflict,
    VoucherRuleViolation,
)
from suanli.domain.vouchers.forecast import Forecast, burn_down, forecast_exhaustion
from suanli.domain.vouchers.program import (
    ItemKind,
    Settlement,
    Side,
    SideMode,
    VoucherProgram,
    program_json_schema,
)
from suanli.domain.vouchers.program_file import parse_program, parse_program_file, program_hash
from suanli.domain.vouchers.review import ReviewAct, check_review, next_stage, raise_review_refusal
from suanli.domain.vouchers.rules import Decision, Outcome, RuleFired
from suanli.domain.vouchers.subsidy import Holding, VoucherSubsidy
from suanli.domain.vouchers.wallet import Wallet, grant_expiry

__all__ = [
    "Application",
    "CapMode",
    "Decision",
    "Forecast",
    "Holding",
    "InvalidProgramFile",
    "ItemKind",
    "Order",
    "Outcome",
    "PriorClaim",
    "ReviewAct",
    "RuleFired",
    "SeparationOfDuties",
    "Settlement",
    "Side",
    "SideMode",
    "VoucherConflict",
    "VoucherProgram",
    "VoucherRuleViolation",
    "VoucherSubsidy",
    "Wallet",
    "burn_down",
    "check_application",
    "check_organisation",
    "check_review",
    "claim_key",
    "clawback_amount",
    "forecast_exhaustion",
    "grant_amount",
    "grant_expiry",
    "next_stage",
    "organisation_cap",
    "parse_program",
    "parse_program_file",
    "program_hash",
    "program_json_schema",
    "raise_review_refusal",
    "redemption_amount",
]
