"""Failover: a rejected job moves to the next option not blocked, SkyPilot-style."""

from __future__ import annotations

from placement_pools import pool

from suanli.domain.placement import PlacementRequest, block, next_option, quote

POOLS = [pool(1, price=500), pool(2, price=700), pool(3, price=900)]


def test_the_next_option_skips_every_blocked_pool():
    options = quote(PlacementRequest(devices=8, prefer="cheapest"), POOLS).options
    blocked = block({}, 1, "center rejected the job")
    assert next_option(options, blocked).pool_id == 2
    assert next_option(options, block(blocked, 2, "failed to start")).pool_id == 3


def test_no_option_is_left_when_every_pool_is_blocked():
    options = quote(PlacementRequest(devices=8), POOLS).options
    assert next_option(options, {1: "x", 2: "y", 3: "z"}) is None


def test_the_first_reason_a_pool_was_blocked_is_kept():
    assert block({1: "rejected"}, 1, "again") == {1: "rejected"}


def test_a_quote_lists_blocked_pools_with_their_reason():
    result = quote(PlacementRequest(devices=8, prefer="cheapest"), POOLS, blocked={1: "sbatch: invalid partition"})
    assert result.best.pool_id == 2
    assert [(e.code, e.params["reason"]) for e in result.excluded] == [("blocked", "sbatch: invalid partition")]
