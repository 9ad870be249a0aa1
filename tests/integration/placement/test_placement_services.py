"""The broker over the database (SQLite and PostgreSQL): quotes, batch placement of awaiting jobs,
failover after a rejection."""

from __future__ import annotations

import pytest
from placement_db import add_job, pool_id, seed

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.domain.placement import NoFeasiblePlacement, PlacementRequest
from suanli.domain.resources import Ecosystem
from suanli.services.placement import next_option_after_rejection, place_queued_jobs
from suanli.services.quotes import pool_views, quote

CUDA = frozenset({Ecosystem.CUDA})


def test_a_quote_ranks_the_pools_in_the_database_and_explains_the_others(session):
    alice = seed(session)
    result = quote(session, principal=alice, request=PlacementRequest(devices=8, ecosystems=CUDA,
                                                                         min_device_memory_gb=64, hours=12, prefer="cheapest"))
    assert [(o.center, o.pool) for o in result.options] == [("chengdu-ai", "a800"), ("yaan-dc", "h800")]
    assert {(e.pool, e.code) for e in result.excluded} == {("910b", "wrong_ecosystem"), ("t4", "too_little_memory")}
    assert result.best.list_price_fen == 8 * 12 * 1000 and result.best.subsidy_fen == 0


def test_free_devices_are_the_reported_capacity_or_else_total_minus_active_jobs(session):
    alice = seed(session)
    add_job(session, alice, devices=12, state="running", pool=pool_id(session, "a800"))
    session.query(PoolRow).filter_by(name="h800").one().free_devices = 3
    free = {v.pool: v.free_devices for v in pool_views(session)}
    assert free["a800"] == 4 and free["h800"] == 3 and free["910b"] == 32


def test_an_unhealthy_center_is_excluded_as_unavailable(session):
    alice = seed(session)
    session.query(CenterRow).filter_by(name="yaan-dc").one().healthy = False
    result = quote(session, principal=alice, request=PlacementRequest(devices=8, ecosystems=CUDA))
    assert ("h800", "center_unavailable") in {(e.pool, e.code) for e in result.excluded}


def test_an_impossible_quote_is_an_error_listing_alternatives(session):
    alice = seed(session)
    with pytest.raises(NoFeasiblePlacement) as caught:
        quote(session, principal=alice, request=PlacementRequest(devices=100, ecosystems=CUDA))
    assert caught.value.problem()["alternatives"][0]["code"] == "not_enough_devices"


def test_awaiting_jobs_are_placed_jointly_and_keep_their_explanation(session):
    alice = seed(session)
    fits = add_job(session, alice, devices=8, ecosystems=["cuda"], min_device_memory_gb=64, prefer="cheapest")
    never = add_job(session, alice, devices=8, ecosystems=["rocm"])
    waits = add_job(session, alice, devices=64, ecosystems=["cann"])  # 910b has 32 devices
    assert place_queued_jobs(session) == 1
    assert fits.pool_id == pool_id(session, "a800") and fits.state == "queued"
    assert fits.placement["outcome"] == "placed" and fits.placement["option"]["score"] > 0
    assert {e["code"] for e in fits.placement["excluded"]} == {"wrong_ecosystem", "too_little_memory"}
    assert never.state == "failed" and "wrong ecosystem" in never.reason
    assert waits.state == "failed" and "not enough devices" in waits.reason


def test_a_job_that_only_lacks_free_devices_waits_for_the_next_cycle(session):
    alice = seed(session)
    add_job(session, alice, devices=32, state="running", pool=pool_id(session, "910b"))
    job = add_job(session, alice, devices=8, ecosystems=["cann"])
    assert place_queued_jobs(session) == 0
    assert job.pool_id is None and job.state == "queued" and job.placement["outcome"] == "deferred"


def test_a_rejected_job_moves_to_its_next_option_and_the_reason_is_kept(session):
    alice = seed(session)
    job = add_job(session, alice, devices=8, ecosystems=["cuda"], min_device_memory_gb=64, prefer="cheapest")
    place_queued_jobs(session)
    first = job.pool_id
    second = next_option_after_rejection(session, job=job, reason="sbatch: invalid account")
    assert second == pool_id(session, "h800") != first and job.pool_id == second
    assert job.placement["blocked"] == {str(first): "sbatch: invalid account"}
    assert next_option_after_rejection(session, job=job, reason="failed to start") is None
    assert job.placement["outcome"] == "exhausted" and len(job.placement["history"]) == 2


def test_placement_survives_a_commit_on_both_databases(sessions):
    with sessions() as s:
        alice = seed(s)
        add_job(s, alice, devices=4, ecosystems=["cann"])
        place_queued_jobs(s)
        s.commit()
    with sessions() as s:
        from suanli.db.models.jobs import JobRow
        (job,) = s.query(JobRow).all()
        assert job.pool_id is not None and job.placement["excluded"][0]["message"]["zh"]


def _make_real(session, center: str) -> None:
    session.query(CenterRow).filter_by(name=center).one().backend_kind = "slurm"
    session.flush()


def test_a_real_command_is_never_placed_on_a_simulated_center_it_did_not_allow(session):
    alice = seed(session)
    _make_real(session, "yaan-dc")  # h800 becomes the one real CUDA pool; a800 (cheaper) stays simulated
    real = add_job(session, alice, devices=8, ecosystems=["cuda"], min_device_memory_gb=64, prefer="cheapest",
                   allow_simulated=False)
    allowed = add_job(session, alice, devices=8, ecosystems=["cuda"], min_device_memory_gb=64, prefer="cheapest")
    assert place_queued_jobs(session) == 2
    assert real.pool_id == pool_id(session, "h800")  # not the cheaper simulated a800
    assert allowed.pool_id == pool_id(session, "a800")
    # Failing over from the real pool never lands on the simulated one.
    assert next_option_after_rejection(session, job=real, reason="sbatch: invalid account") is None
    assert real.placement["outcome"] == "exhausted"


def test_with_only_simulated_centers_a_real_command_fails_saying_why(session):
    alice = seed(session)
    job = add_job(session, alice, devices=4, ecosystems=["cann"], allow_simulated=False)
    assert place_queued_jobs(session) == 0
    assert job.state == "failed" and "simulated centers run no commands" in job.reason
