"""Incentive awards (政策兑现) as use cases: load an award program file, decide a claim (the database
enforcing once-only keys, ranked places and one payment per basis), and the policy calculator."""

from suanli.services.awards.claims import (
    apply,
    calculator,
    list_decided,
    list_items,
    load_item,
    organisation_by_name,
)

__all__ = ["apply", "calculator", "list_decided", "list_items", "load_item", "organisation_by_name"]
