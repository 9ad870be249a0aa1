"""Worked cases for contract conditions and the minimum claim (issue 14): a claim on a contract
signed before the program's date, or running longer than its term limit, is refused with the rule
named; the subsidy is capped at a share of the contract value; a claim below the minimum is refused.
The facts come from the provider-attested contract record, not from the claimant."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from suanli.domain.vouchers import ItemKind, Order, Side, Wallet, parse_program, redemption_amount
from suanli.domain.vouchers.contracts import contract_bill, normalise_contract_number

TEXT = (Path(__file__).resolve().parents[3] / "examples" / "programs" / "yangzhou.yaml").read_text().replace(
    "  contract_paid_before_redemption: true\n",
    "  contract_paid_before_redemption: true\n  contract: {signed_on_or_after: 2024-01-01, max_term_months: 12, "
    "max_share_percent: 20}\n").replace("  per_application_fen: 50_000_000   # illustrative\n",
                                        "  per_application_fen: 50_000_000   # illustrative\n  minimum_claim_fen: 10_000\n")
PROGRAM = parse_program(TEXT)
WALLET = Wallet(10_000_000, date(2099, 12, 31))


def _order(amount_fen: int = 1_000_000, signed_on: date = date(2024, 3, 1), term_months: int | None = 12) -> Order:
    return Order(ItemKind.COMPUTE, amount_fen, "yz-center", contract_bill(9, "YZ-1"), Side.DEMAND, True, True, True,
                 signed_on=signed_on, term_months=term_months)


def _decide(order: Order):  # type: ignore[no-untyped-def]
    from suanli.domain.organisations import OrganisationFacts, OrganisationType

    buyer = OrganisationFacts("acme", OrganisationType.ENTERPRISE, "扬州", frozenset({"ai"}))
    return redemption_amount(PROGRAM, order, buyer=buyer, wallet=WALLET, today=date(2024, 4, 1))


def test_the_subsidy_is_capped_at_the_programs_share_of_the_contract_value() -> None:
    decision = _decide(_order())
    assert decision.allowed and decision.amount_fen == 200_000  # 30% ratio, capped at 20% of ¥10,000
    assert "contract.share" in decision.rule_ids()


def test_a_contract_signed_before_the_programs_date_is_refused() -> None:
    decision = _decide(_order(signed_on=date(2023, 12, 31)))
    assert decision.failed is not None and decision.failed.id == "contract.signed-after"


def test_a_contract_longer_than_the_term_limit_or_without_a_term_is_refused() -> None:
    for term in (13, None):
        decision = _decide(_order(term_months=term))
        assert decision.failed is not None and decision.failed.id == "contract.term"


def test_a_claim_below_the_minimum_is_refused_with_the_amounts_named() -> None:
    decision = _decide(_order(amount_fen=40_000))  # 20% of ¥400 = ¥80 < ¥100
    assert decision.failed is not None and decision.failed.id == "claim.minimum"
    assert "¥100.00" in decision.failed.en and "最低申领额" in decision.failed.zh


def test_contract_numbers_normalise_across_spellings_but_stay_per_provider() -> None:
    spellings = ["BILL-aa6ba721", "bill-aa6ba721", " BILL-aa6ba721", "BILL_aa6ba721", "合同BILL-aa6ba721",
                 "No. BILL aa6ba721", "合同编号：BILL/aa6ba721", "ＢＩＬＬ－ａａ６ｂａ７２１"]
    assert {normalise_contract_number(s) for s in spellings} == {"billaa6ba721"}
    assert contract_bill(1, "BILL-aa6ba721") != contract_bill(2, "BILL-aa6ba721")
