"""Incentive awards (政策兑现) as use cases: load an award program file, decide a claim (the database
enforcing once-only keys, ranked places and one payment per basis), paying it through the finance
disbursement batch and the ledger (`payments`), its 公示, 免申即享 confirmation and the policy calculator."""

from suanli.services.awards.claims import (
    apply,
    calculator,
    confirm,
    get_claim,
    home_matches,
    item_code_of,
    item_titles,
    items_out,
    likely_matches,
    list_claims,
    list_decided,
    list_items,
    list_submitted,
    load_item,
    my_applications,
    my_awards,
    organisation_by_name,
    payouts_out,
    review,
    submit,
)
from suanli.services.awards.payments import disclosure, fund_item, party_name

__all__ = ["apply", "calculator", "confirm", "disclosure", "fund_item", "get_claim", "home_matches", "item_code_of",
           "item_titles", "items_out", "likely_matches", "list_claims", "list_decided", "list_items", "list_submitted", "load_item",
           "my_applications", "my_awards", "organisation_by_name", "party_name", "payouts_out", "review", "submit"]
