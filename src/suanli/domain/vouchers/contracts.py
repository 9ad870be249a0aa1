"""Contracts (合同) and the bill a claim is made on.

A contract is a record the buyer declares and its provider confirms (two-party attestation), with
the provider's own number, the amount, signing date, term and items. Its number is the provider's, so
uniqueness is per provider and only after normalising the spelling: Unicode NFKC, case, whitespace,
separators and a leading 合同 / No. are not differences (`BILL-aa6ba721`, `bill_aa6ba721`,
` 合同BILL aa6ba721` are one contract). Orders placed through the platform are contracts the platform
itself creates, so "through platform" is a fact on the record, never a flag a claimant sets.

The bill is what is subsidised at most once, across every program and both sides: `usage:<id>` for a
metered usage record, `contract:<provider>:<normalised number>` for a contract.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from suanli.domain.errors import InvalidInput
from suanli.domain.vouchers.program import ItemKind

_PREFIX = re.compile(r"^(合同(编号|号)?|contract|no|nr|number|编号)[\s.:：#]*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-_./\\·—–,，、:：#()（）\[\]【】]+")
NUMBER_LIMIT = 120


def normalise_contract_number(number: str) -> str:
    """The spelling-independent key of a provider's contract number; refused when nothing is left."""
    if not isinstance(number, str) or not number.strip():
        raise InvalidInput("the contract number is required", field="number")
    if len(number) > NUMBER_LIMIT:
        raise InvalidInput(f"the contract number is longer than {NUMBER_LIMIT} characters", field="number")
    text = unicodedata.normalize("NFKC", number).casefold().strip()
    previous = None
    while previous != text:  # "合同 No. 12" loses both prefixes
        previous, text = text, _PREFIX.sub("", text).strip()
    key = _SEPARATORS.sub("", text)
    if not key or any(unicodedata.category(ch).startswith("C") for ch in key):
        raise InvalidInput("the contract number has no usable characters", field="number")
    return key


def contract_bill(provider_organisation_id: int, number: str) -> str:
    """The bill of a contract: namespaced by its provider, the number normalised."""
    return f"contract:{provider_organisation_id}:{normalise_contract_number(number)}"


@dataclass(frozen=True, slots=True)
class ContractItem:
    """One line of a contract: what was bought and for how much, with the properties ratios may read."""

    kind: ItemKind
    amount_fen: int
    ecosystem: str | None = None  # cuda | cann | rocm | cpu ...
    domestic: bool | None = None  # domestic (国产) hardware
    center: str | None = None


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """What the rules may read about a confirmed contract (never what the claimant says about it)."""

    provider_organisation_id: int
    buyer_organisation_id: int
    amount_fen: int
    signed_on: date
    term_months: int | None
    confirmed: bool
    paid_fen: int
    through_platform: bool
    items: tuple[ContractItem, ...] = ()

    @property
    def paid(self) -> bool:
        return self.confirmed and self.paid_fen >= self.amount_fen > 0
