"""Impossible requests are a 422 listing the closest alternatives; contradictions are named."""

from __future__ import annotations

import pytest
from placement_pools import pool

from suanli.domain.errors import InvalidResourceRequest
from suanli.domain.placement import ConflictingConstraints, NoFeasiblePlacement, PlacementRequest, quote
from suanli.domain.resources import Ecosystem

POOLS = [pool(1, "A800", nodes=4), pool(2, "Ascend910B", nodes=16), pool(3, "T4", nodes=2, dpn=4)]


def test_an_ecosystem_no_pool_has_is_a_422_with_the_closest_alternatives():
    with pytest.raises(NoFeasiblePlacement) as caught:
        quote(PlacementRequest(devices=8, ecosystems=frozenset({Ecosystem.ROCM})), POOLS)
    problem = caught.value.problem()
    assert isinstance(caught.value, InvalidResourceRequest) and problem["status"] == 422
    assert problem["excluded_by_reason"] == {"wrong_ecosystem": 3}
    assert len(problem["alternatives"]) == 3
    assert problem["alternatives"][0]["suggestion"]["en"].startswith("accept the ")


def test_more_devices_than_any_pool_has_names_the_largest_pool_and_suggests_it():
    with pytest.raises(NoFeasiblePlacement) as caught:
        quote(PlacementRequest(devices=512, ecosystems=frozenset({Ecosystem.CUDA, Ecosystem.CANN})), POOLS)
    problem = caught.value.problem()
    assert "the largest pool of an accepted kind has 128 devices" in problem["detail"]
    first = problem["alternatives"][0]
    assert (first["pool"], first["code"]) == ("ascend910b-2", "not_enough_devices")
    assert first["suggestion"] == {"zh": "申请至多 128 卡", "en": "ask for at most 128 devices"}


@pytest.mark.parametrize(("request_kwargs", "named"), [
    ({"devices": 8, "ecosystems": frozenset({Ecosystem.CANN}), "models": frozenset({"A800"})}, "not in ecosystems"),
    ({"devices": 8, "models": frozenset({"T4"}), "min_device_memory_gb": 64}, "no accepted model has 64 GB"),
    ({"devices": 8, "hours": 12, "deadline_hours": 6}, "sooner than the runtime"),
    ({"devices": 12, "devices_per_node": 8}, "not a multiple of devices_per_node"),
    ({"equivalents": 8, "ecosystems": frozenset({Ecosystem.CPU})}, "no FP16 rating"),
])
def test_conflicting_constraints_are_named(request_kwargs, named):
    with pytest.raises(ConflictingConstraints) as caught:
        PlacementRequest(**request_kwargs)
    assert named in caught.value.detail
    assert caught.value.problem()["conflicts"]


def test_a_request_must_give_exactly_one_amount():
    with pytest.raises(InvalidResourceRequest):
        PlacementRequest(devices=8, equivalents=8)
    with pytest.raises(InvalidResourceRequest):
        PlacementRequest()
