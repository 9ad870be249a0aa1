"""Fixtures for the voucher worked cases: the shipped program files and organisation facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from suanli.domain.organisations import OrganisationFacts, OrganisationType
from suanli.domain.vouchers import ItemKind, Order, Side, VoucherProgram, Wallet, parse_program

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"


@pytest.fixture
def load() -> Callable[[str], VoucherProgram]:
    return lambda name: parse_program((PROGRAMS / f"{name}.yaml").read_text())


@pytest.fixture
def org() -> Callable[..., OrganisationFacts]:
    def make(type: str = "enterprise", city: str = "成都", **facts: Any) -> OrganisationFacts:
        facts.setdefault("sectors", frozenset())
        facts["sectors"] = frozenset(facts["sectors"])
        facts["affiliated_providers"] = frozenset(facts.get("affiliated_providers", ()))
        return OrganisationFacts(name=facts.pop("name", "acme"), type=OrganisationType(type), city=city, **facts)

    return make


@pytest.fixture
def order() -> Callable[..., Order]:
    def make(amount_fen: int = 100_000, provider: str = "nscc-chengdu", basis: str = "usage:1", **kw: Any) -> Order:
        kw.setdefault("kind", ItemKind.COMPUTE)
        kw.setdefault("side", Side.DEMAND)
        return Order(amount_fen=amount_fen, provider=provider, basis=basis, **kw)

    return make


@pytest.fixture
def wallet() -> Callable[..., Wallet]:
    return lambda granted_fen=1_000_000, expires_on=date(2099, 12, 31), **kw: Wallet(granted_fen, expires_on, **kw)
