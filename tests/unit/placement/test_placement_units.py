"""Performance-normalised units: A100-equivalents and P become device counts per pool."""

from __future__ import annotations

import pytest
from placement_pools import pool

from suanli.domain.placement import ExchangeRates, PlacementRequest, quote
from suanli.domain.placement.units import DEFAULT_RATES


def test_an_a100_is_one_equivalent_and_an_h800_about_three():
    assert DEFAULT_RATES.equivalents_per_device("A100") == 1.0
    assert DEFAULT_RATES.equivalents_per_device("H800") == pytest.approx(989 / 312)


def test_a_measured_benchmark_factor_overrides_the_data_sheet():
    rates = ExchangeRates(measured={"Ascend910B": 0.8})
    assert rates.devices_for(64, "Ascend910B") == 80


def test_devices_are_rounded_up_to_the_gang_width():
    assert DEFAULT_RATES.devices_for(64, "H800") == 21
    assert DEFAULT_RATES.devices_for(64, "H800", multiple_of=8) == 24


def test_cpu_cores_have_no_exchange_rate():
    assert DEFAULT_RATES.devices_for(8, "CPU") is None


def test_a_request_in_equivalents_asks_each_pool_for_its_own_device_count_and_runtime():
    result = quote(PlacementRequest(equivalents=64, hours=10), [pool(1, "A100", nodes=10), pool(2, "H800", nodes=10)])
    by_pool = {o.pool_id: o for o in result.options}
    assert by_pool[1].devices == 64 and by_pool[1].hours == 10
    assert by_pool[2].devices == 21
    # 21 H800 deliver slightly more than 64 A100-equivalents, so the work finishes a little sooner.
    assert by_pool[2].hours == pytest.approx(10 * 64 / (21 * 989 / 312), rel=1e-3)


def test_a_request_in_p_counts_pflops_fp16():
    result = quote(PlacementRequest(pflops=3.12, hours=1), [pool(1, "A100", nodes=10)])
    assert result.best.devices == 10


def test_a_runtime_scaled_by_units_keeps_device_hours_of_reference_work_equal():
    result = quote(PlacementRequest(equivalents=16, hours=4), [pool(1, "A100"), pool(2, "Ascend910B")])
    for option in result.options:
        delivered = DEFAULT_RATES.equivalents_per_device(option.model) * option.devices * option.hours
        assert delivered == pytest.approx(16 * 4, rel=1e-3)
