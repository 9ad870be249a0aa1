"""Every exclusion reason: each pool that cannot take a request says exactly one reason why."""

from __future__ import annotations

import pytest
from placement_pools import pool

from suanli.domain.placement import CODES, PlacementRequest, quote, render_exclusion
from suanli.domain.placement.explain import LANGS, TEMPLATES, explained
from suanli.domain.resources import Ecosystem

CUDA = frozenset({Ecosystem.CUDA})


def excluded_codes(request, pools):
    return {e.pool: e.code for e in quote(request, [pool(99), *pools]).excluded}


@pytest.mark.parametrize(("code", "request_", "bad_pool"), [
    ("center_unavailable", PlacementRequest(devices=8), pool(1, available=False)),
    ("wrong_ecosystem", PlacementRequest(devices=8, ecosystems=CUDA), pool(1, "Ascend910B")),
    ("model_not_accepted", PlacementRequest(devices=8, models=frozenset({"A800"})), pool(1, "H800")),
    ("not_rated", PlacementRequest(equivalents=8), pool(1, "CPU", dpn=64)),
    ("too_little_memory", PlacementRequest(devices=8, min_device_memory_gb=64), pool(1, "T4")),
    ("region_not_allowed", PlacementRequest(devices=8, allowed_regions=frozenset({"chengdu"})), pool(1, city="beijing", region="beijing")),
    ("node_too_small", PlacementRequest(devices=8, devices_per_node=8), pool(1, dpn=4, nodes=8)),
    ("node_too_small", PlacementRequest(devices=8, cpus_per_device=8), pool(1, cpus_per_node=32)),
    ("not_enough_devices", PlacementRequest(devices=64), pool(1, nodes=2)),
    ("too_many_nodes", PlacementRequest(devices=16), pool(1, max_nodes=1)),
    ("too_many_nodes", PlacementRequest(devices=8, devices_per_node=2), pool(1, max_nodes=2)),
    ("over_budget", PlacementRequest(devices=8, hours=10, max_price_fen=100_000), pool(1, price=2000)),
    ("no_capacity_before_deadline", PlacementRequest(devices=8, hours=2, deadline_hours=3),
     pool(1, free=0, queued_device_hours=320)),
])
def test_a_pool_that_cannot_take_the_request_is_excluded_with_its_one_reason(code, request_, bad_pool):
    if code == "not_enough_devices":
        others = [pool(99, nodes=8)]
    else:
        others = [pool(99)]
    result = quote(request_, [*others, bad_pool])
    assert [e.code for e in result.excluded] == [code]
    assert [o.pool_id for o in result.options] == [99]


def test_a_pool_not_designated_by_the_program_is_excluded_when_the_job_needs_a_designated_provider():
    result = quote(PlacementRequest(devices=8, designated_only=True), [pool(1, designated=True), pool(2)])
    assert [(e.pool, e.code, e.params["center"]) for e in result.excluded] == [("a800-2", "provider_not_designated", "center-2")]


def test_only_the_first_failing_check_is_reported_when_several_fail():
    result = quote(PlacementRequest(devices=8, ecosystems=CUDA, min_device_memory_gb=64), [pool(1), pool(2, "Ascend910B", available=False)])
    assert [e.code for e in result.excluded] == ["center_unavailable"]


def test_exclusions_carry_the_numbers_behind_them():
    result = quote(PlacementRequest(devices=8, min_device_memory_gb=64), [pool(1), pool(2, "T4")])
    (exclusion,) = result.excluded
    assert exclusion.params == {"memory_gb": 16, "required_gb": 64}
    assert render_exclusion(exclusion, "en") == "too little memory: 16 GB per device, 64 GB needed"
    assert render_exclusion(exclusion, "zh") == "显存不足：每卡 16 GB，需要至少 64 GB"


def test_every_reason_code_has_a_message_in_chinese_and_english():
    for code in CODES:
        assert set(TEMPLATES[code]) == set(LANGS)


def test_over_budget_is_explained_in_yuan():
    result = quote(PlacementRequest(devices=8, hours=10, max_price_fen=100_000), [pool(1, price=500), pool(2, price=2000)])
    message = explained(result.excluded[0])["message"]
    assert message["en"] == "over budget: ¥1,600.00 to pay, at most ¥1,000.00 allowed"
    assert "超出预算" in message["zh"]


def test_a_budget_is_checked_against_the_price_after_subsidy():
    class HalfPrice:
        def estimate(self, *, organisation_id, center, pool, list_price_fen):
            from suanli.domain.subsidy import SubsidyEstimate
            return SubsidyEstimate(list_price_fen // 2, "test", ("ratio 50%",))

    request = PlacementRequest(devices=8, hours=10, max_price_fen=100_000)
    result = quote(request, [pool(1, price=2000)], payer=7, subsidy=HalfPrice())
    assert result.best.price_fen == 80_000 and result.best.subsidy_fen == 80_000
    assert result.best.subsidy_reasons == ("ratio 50%",)


def test_too_many_nodes_names_the_pools_limit_and_the_nodes_needed_in_both_languages():
    [excluded] = quote(PlacementRequest(devices=8, devices_per_node=2), [pool(99), pool(1, max_nodes=2)]).excluded
    assert excluded.params == {"max_nodes": 2, "needed_nodes": 4, "devices_per_node": 2}
    assert render_exclusion(excluded, "zh") == "跨节点数超限：该资源池每个作业至多 2 个节点，需要 4 个"
    assert "at most 2 nodes, 4 needed" in render_exclusion(excluded, "en")
    assert quote(PlacementRequest(devices=16), [pool(1, max_nodes=2)]).options  # 2 nodes × 8 fit
