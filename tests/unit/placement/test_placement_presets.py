"""Each preset orders the same pools its own way; operator weights override the presets."""

from __future__ import annotations

import pytest
from placement_pools import pool

from suanli.domain.placement import PlacementRequest, quote

# cheap: lowest price, full (a long wait), brown power; fast: free now, dear; green: renewable, mid-price.
POOLS = [
    pool(1, center="cheap", price=600, free=0, queued_device_hours=2000, green_share=0.0),
    pool(2, center="fast", price=2400, green_share=0.1),
    pool(3, center="green", price=1500, free=0, queued_device_hours=600, green_share=1.0),
]


def ranking(prefer: str, **kwargs) -> list[str]:
    return [o.center for o in quote(PlacementRequest(devices=8, hours=10, prefer=prefer), POOLS, **kwargs).options]


@pytest.mark.parametrize(("prefer", "first"), [("cheapest", "cheap"), ("fastest", "fast"), ("greenest", "green")])
def test_each_preset_puts_its_own_favourite_first(prefer, first):
    assert ranking(prefer)[0] == first


def test_balanced_prefers_a_pool_that_is_good_on_every_count():
    middle = pool(4, center="middle", price=800, green_share=0.6)
    options = quote(PlacementRequest(devices=8, hours=10, prefer="balanced"), [*POOLS, middle]).options
    assert options[0].center == "middle"


def test_operator_weights_override_a_preset():
    assert ranking("cheapest", weights={"cheapest": {"price": 0.0, "time": 1.0}})[0] == "fast"


def test_every_option_carries_its_score_components():
    option = quote(PlacementRequest(devices=8, hours=10, prefer="fastest"), POOLS).options[-1]
    assert set(option.components) == {"price", "time", "energy", "locality", "balance"}
    assert option.score == pytest.approx(100 - sum(option.components.values()), abs=0.05)


def test_input_data_in_another_city_delays_the_start_by_its_transfer_time():
    far = pool(2, center="far", city="beijing")
    request = PlacementRequest(devices=8, hours=1, input_city="chengdu", input_gb=900, prefer="fastest")
    options = quote(request, [pool(1, center="near", price=3000), far]).options
    assert [o.center for o in options] == ["near", "far"]
    assert options[1].transfer_h == pytest.approx(2.0) and options[1].expected_start_h == pytest.approx(2.0)


def test_a_pool_without_enough_free_devices_starts_later():
    request = PlacementRequest(devices=16, hours=1)
    options = {o.center: o for o in quote(request, [pool(1, center="full", free=8), pool(2, center="free")]).options}
    assert options["free"].expected_start_h == 0
    assert options["full"].expected_start_h > 0
