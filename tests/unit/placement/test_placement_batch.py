"""Batch placement: beats greedy on crafted conflicts, agrees with it when pools are not contended,
respects capacities and shares contended capacity fairly between organisations."""

from __future__ import annotations

import random

from placement_pools import pool

from suanli.domain.placement import PendingJob, PlacementRequest, place_batch, quote
from suanli.domain.placement.greedy import place_sequentially
from suanli.domain.resources import Ecosystem

CUDA, CANN = frozenset({Ecosystem.CUDA}), frozenset({Ecosystem.CANN})


def total_price(pools, requests, placement):
    price = {p.pool_id: p.price_fen_per_device_hour for p in pools}
    return sum(price[placement[i]] * r.devices * r.hours for i, r in enumerate(requests))


def test_batch_beats_greedy_when_two_jobs_both_prefer_the_same_last_free_pool():
    # X is the last 8 free devices and the cheapest for both. Job A also fits Y (almost as cheap);
    # job B's only other choice is Z (dear). Greedy serves A first and sends B to Z.
    pools = [pool(1, "A800", center="x", free=8, price=1000), pool(2, "H800", center="y", free=8, price=1100),
             pool(3, "Ascend910B", center="z", free=8, price=5000)]
    a = PlacementRequest(devices=8, hours=10, models=frozenset({"A800", "H800"}), prefer="cheapest")
    b = PlacementRequest(devices=8, hours=10, models=frozenset({"A800", "Ascend910B"}), prefer="cheapest")
    greedy = place_sequentially([(a, 1), (b, 2)], pools)
    assert greedy == [1, 3]
    batch = place_batch([PendingJob("a", 1, a), PendingJob("b", 2, b)], pools)
    assert batch.placed() == {"a": 2, "b": 1}
    assert total_price(pools, [a, b], [2, 1]) < total_price(pools, [a, b], greedy)
    assert batch.solver in ("milp", "lp+repair")


def test_batch_and_greedy_agree_when_no_pool_is_contended():
    rng = random.Random(5)
    pools = [pool(i, rng.choice(["A800", "H800", "Ascend910B", "T4"]), nodes=100, price=rng.randint(300, 3000),
                  green_share=rng.random()) for i in range(1, 13)]
    requests = [PlacementRequest(devices=rng.choice([1, 2, 8]), hours=rng.choice([1, 5]),
                                 prefer=rng.choice(["cheapest", "fastest", "greenest", "balanced"]),
                                 min_device_memory_gb=rng.choice([0, 64])) for _ in range(40)]
    jobs = [PendingJob(i, i % 3, r) for i, r in enumerate(requests)]
    result = place_batch(jobs, pools)
    assert result.contended_pools == [] and result.solver == "fast-path"
    assert result.placed() == {i: quote(r, pools, payer=i % 3).best.pool_id for i, r in enumerate(requests)}
    assert list(result.placed().values()) == place_sequentially([(r, i % 3) for i, r in enumerate(requests)], pools)


def test_batch_never_places_more_devices_than_a_pool_has_free():
    rng = random.Random(9)
    pools = [pool(i, "A800", free=rng.randint(0, 32), price=rng.randint(500, 900)) for i in range(1, 6)]
    jobs = [PendingJob(i, i % 4, PlacementRequest(devices=rng.choice([1, 2, 4, 8]), hours=2)) for i in range(60)]
    result = place_batch(jobs, pools)
    used = {p.pool_id: 0 for p in pools}
    for d in result.decisions:
        if d.outcome == "placed":
            used[d.option.pool_id] += d.option.devices
    assert all(used[p.pool_id] <= p.free_devices for p in pools)
    assert {d.outcome for d in result.decisions} == {"placed", "deferred"}
    assert all(d.reason == "awaiting_capacity" for d in result.decisions if d.outcome == "deferred")


def test_contended_capacity_is_shared_round_robin_between_organisations():
    pools = [pool(1, free=4)]
    jobs = [PendingJob(i, 1, PlacementRequest(devices=1)) for i in range(6)]
    jobs += [PendingJob(10 + i, 2, PlacementRequest(devices=1)) for i in range(2)]
    placed = place_batch(jobs, pools).placed()
    assert sorted(placed) == [0, 1, 10, 11]


def test_an_organisation_already_using_many_devices_yields_to_one_using_none():
    pools = [pool(1, free=2)]
    jobs = [PendingJob("busy", 1, PlacementRequest(devices=2)), PendingJob("idle", 2, PlacementRequest(devices=2))]
    assert place_batch(jobs, pools, usage_by_organisation={1: 500}).placed() == {"idle": 1}


def test_a_job_no_pool_can_take_is_infeasible_with_every_reason():
    result = place_batch([PendingJob("x", 1, PlacementRequest(devices=8, ecosystems=CANN))], [pool(1), pool(2, "T4")])
    (decision,) = result.decisions
    assert decision.outcome == "infeasible" and decision.reason == "no_feasible_pool"
    assert [e.code for e in decision.excluded] == ["wrong_ecosystem", "wrong_ecosystem"]
    assert decision.as_dict()["excluded"][0]["message"]["zh"].startswith("生态不符")


def test_a_placed_job_remembers_its_ranked_options_for_failover():
    pools = [pool(1, price=500), pool(2, price=900), pool(3, price=700)]
    (decision,) = place_batch([PendingJob("j", 1, PlacementRequest(devices=8, prefer="cheapest"))], pools).decisions
    assert decision.ranked == (1, 3, 2)
