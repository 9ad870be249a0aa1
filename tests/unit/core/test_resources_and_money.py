from fractions import Fraction

import pytest

from suanli.domain.errors import InvalidResourceRequest
from suanli.domain.money import charge_for_usage, format_yuan, percentage_share, subsidy_share, yuan
from suanli.domain.resources import CATALOGUE, Ecosystem, ResourceRequest, parse_models


@pytest.mark.parametrize("devices", [0, -1, 100_001])
def test_a_request_for_zero_negative_or_absurd_devices_is_refused(devices):
    with pytest.raises(InvalidResourceRequest):
        ResourceRequest(devices=devices)


def test_an_unknown_accelerator_is_refused_with_the_known_ones_listed():
    with pytest.raises(InvalidResourceRequest, match="A800"):
        parse_models("A800|B9000")


def test_dtk_is_the_rocm_ecosystem_and_unknown_ecosystems_are_named():
    assert Ecosystem.parse("DTK") == Ecosystem.ROCM
    with pytest.raises(InvalidResourceRequest, match="'opencl'"):
        Ecosystem.parse("opencl")


def test_a_request_accepts_only_accelerators_with_its_ecosystem_and_memory():
    request = ResourceRequest(devices=8, ecosystems=frozenset({Ecosystem.CUDA}), min_device_memory_gb=64)
    assert request.accepts(CATALOGUE["A800"])
    assert not request.accepts(CATALOGUE["Ascend910B"])
    assert not request.accepts(CATALOGUE["T4"])


def test_usage_charges_round_up_to_the_fen_and_subsidies_round_down():
    assert charge_for_usage(1800, 1) == 1  # 0.5 fen -> 1 fen
    assert charge_for_usage(1800, 3600) == 1800
    assert subsidy_share(1001, Fraction(3, 10)) == 300  # 300.3 -> 300: the budget never pays the extra fen
    assert percentage_share(1001, 500) == 50  # 50.05 -> 50


def test_yuan_are_converted_exactly_and_formatted_with_separators():
    assert yuan("10000000") == 1_000_000_000
    assert yuan("12.34") == 1234
    with pytest.raises(ValueError):
        yuan("0.001")
    assert format_yuan(123456) == "¥1,234.56"
    assert format_yuan(-5) == "-¥0.05"
