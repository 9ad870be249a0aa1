"""Incentive awards (政策兑现) as use cases: load an award program file, decide a claim (the database
enforcing once-only keys, ranked places and one payment per basis), and the policy calculator."""

from suanli.services.awards.claims import apply, calculator, load_item

__all__ = ["apply", "calculator", "load_item"]
