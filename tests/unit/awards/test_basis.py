"""An award's basis is spelled one way: a contract as the voucher engine keys it, a product id without
case, width or separators; a metered usage is never an award's basis; related parties by profile facts."""

from __future__ import annotations

from datetime import date

import pytest

from suanli.domain.awards.basis import normalise_basis, related_by
from suanli.domain.errors import InvalidInput
from suanli.domain.profile import OrganisationProfile, ProfileFact
from suanli.domain.vouchers.contracts import contract_bill


def test_a_contract_is_keyed_as_the_voucher_engine_keys_it() -> None:
    assert normalise_basis("contract:7: 合同编号 SW-2023/001") == contract_bill(7, "sw_2023_001") == "contract:7:sw2023001"
    assert normalise_basis("Product: ＺＸ-Model 1") == normalise_basis("product:zx_model1") == "product:zxmodel1"


@pytest.mark.parametrize("bad", ["no-kind", "usage:42", "contract:acme:12", "product:  -- ", "Ä:1"])
def test_a_basis_that_cannot_be_keyed_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_basis(bad)


def _profile(name: str, **facts: str) -> OrganisationProfile:
    return OrganisationProfile(name, {k: ProfileFact(k, v, "国家企业信用信息公示系统", date(2024, 5, 1)) for k, v in facts.items()})


def test_related_parties_from_the_bureaus_facts() -> None:
    assert related_by(_profile("a", actual_controller="王 某"), _profile("b", actual_controller="王某")) is not None
    assert related_by(_profile("a"), _profile("b", parent_organisation="A")) is not None
    assert related_by(_profile("a", actual_controller="王某"), _profile("b", actual_controller="李某")) is None
    assert related_by(_profile("a"), _profile("b")) is None
