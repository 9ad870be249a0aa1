"""`best` (FGD with a calibrated temperature) and the offline bounds solved with HiGHS."""

from __future__ import annotations

import copy

import numpy as np

from suanli.sim.fill import best, experiment
from suanli.sim.fill.best import CANDIDATE_TEMPERATURES, BestScorer, tempered
from suanli.sim.fill.bound import ilp_bound, lp_bound, sample_nodes
from suanli.sim.fill.data import NodeList, PodList
from suanli.sim.fill.fgd import CLOSING_BONUS, FGDScorer, FragmentationModel
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TypicalPods, task_types


def _nodes(gpus: list[int], cpu: int = 64_000) -> NodeList:
    n = len(gpus)
    return NodeList([f"n{i}" for i in range(n)], np.full(n, cpu), np.full(n, 256_000), np.array(gpus),
                    np.ones(n, np.int64), ["T4"])


def _pods(rows: list[tuple[int, int, int]]) -> PodList:
    """rows of (cpu_milli, num_gpu, gpu_milli)."""
    a = np.array(rows, np.int64)
    n = len(rows)
    return PodList([f"p{i:04d}" for i in range(n)], a[:, 0], np.full(n, 1000), a[:, 1], a[:, 2],
                   np.zeros(n, np.int64), [""] * n)


def test_a_hotter_temperature_merges_close_fragmentation_scores_into_ties() -> None:
    typical = TypicalPods(np.array([1000]), np.array([600]), np.array([1]), np.array([0]), np.array([1.0]))
    state = ClusterState(_nodes([2]))
    state.set_gpus(0, [1000, 500])  # the half-free GPU is a fragment for the typical 0.6 task
    types = task_types(_pods([(1000, 1, 500)]))
    model = FragmentationModel(typical)
    strict, _ = FGDScorer(model)(state, np.array([0]), types, 0)
    hot, _ = BestScorer(tempered(model, 1000.0))(state, np.array([0]), types, 0)
    assert strict[0] == 62 and hot[0] == 50  # filling the fragment scores high; a very hot sigmoid ties it
    assert model.scale * 1000.0 == tempered(model, 1000.0).scale and model.scale != tempered(model, 2).scale


def test_whole_gpu_tasks_can_have_a_temperature_of_their_own() -> None:
    typical = TypicalPods(np.array([1000]), np.array([1000]), np.array([2]), np.array([0]), np.array([1.0]))
    state = ClusterState(_nodes([2]))
    types = task_types(_pods([(1000, 1, 1000)]))  # one whole GPU: the typical 2-GPU task no longer fits
    model = FragmentationModel(typical)
    assert FGDScorer(model)(state, np.array([0]), types, 0)[0][0] == 26  # trunc(100 x sigmoid(-1))
    assert BestScorer(tempered(model, 1.0, 1000.0))(state, np.array([0]), types, 0)[0][0] == 49
    assert BestScorer(tempered(model, 1000.0, 1.0))(state, np.array([0]), types, 0)[0][0] == 26
    assert tempered(model, 1.5, 2.0).scale == model.scale * 1.5 and tempered(model, 1.5, 2.0).whole_scale == model.scale * 2


def test_best_keeps_a_candidate_temperature_and_without_closing_matches_fgd_at_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    nodes = _nodes([2, 2, 4, 4, 8, 8])
    rows = [(2000, 1, 500)] * 12 + [(4000, 1, 1000)] * 10 + [(8000, 2, 1000)] * 4 + [(1000, 1, 250)] * 8
    pods = _pods(rows)
    chosen = experiment.calibrate(nodes, pods, experiment.best_model(pods))
    assert chosen in CANDIDATE_TEMPERATURES
    assert best.smallest_share(pods) == 250
    monkeypatch.setattr(experiment, "calibrate", lambda *_: (1.0, 1.0))
    monkeypatch.setattr(best, "smallest_share", lambda _pods: 0)  # closing off
    experiment._DERIVED.clear()
    assert experiment.run_seed(nodes, pods, "best", 5) == experiment.run_seed(nodes, pods, "fgd", 5)
    experiment._DERIVED.clear()


def test_best_sends_a_shared_task_to_the_gpu_it_closes() -> None:
    # typical 0.4 tasks fit in 1000 and in 500 free alike, so FGD ties both GPUs and keeps the first
    typical = TypicalPods(np.array([1000]), np.array([400]), np.array([1]), np.array([0]), np.array([1.0]))
    state = ClusterState(_nodes([2]))
    state.set_gpus(0, [1000, 500])
    types = task_types(_pods([(1000, 1, 500)]))
    model = FragmentationModel(typical)
    fgd_score, fgd_gpu = FGDScorer(model)(state, np.array([0]), types, 0)
    closing = copy.copy(model)
    closing.closing_below = 400  # 0 left on the half-free GPU: nothing could ever use it
    best_score, best_gpu = BestScorer(closing)(state, np.array([0]), types, 0)
    assert (fgd_score[0], fgd_gpu[0]) == (50, 0)
    assert (best_score[0], best_gpu[0]) == (50 + CLOSING_BONUS, 1)
    state.set_gpus(0, [1000, 950])  # 450 would be left, room for a 0.4 task: FGD's choice stands
    assert BestScorer(closing)(state, np.array([0]), types, 0)[1][0] == fgd_gpu[0] == 0


def test_lp_bound_is_below_every_policy_and_exact_on_an_easy_cluster() -> None:
    nodes = _nodes([4, 4, 4, 4])
    pods = _pods([(1000, 1, 500)] * 40)  # halves pack perfectly: nothing need stay unallocated
    assert abs(lp_bound(nodes, pods, 1, level=100)) < 1e-6
    for policy in ("fgd", "bestfit", "random"):
        assert experiment.run_seed(nodes, pods, policy, 1)[100] >= lp_bound(nodes, pods, 1, 100) - 1e-9


def test_the_subcluster_ilp_sees_what_cpu_strands() -> None:
    # every task wants 1 GPU and 40 of a node's 64 cores: one task per node, 3 of 4 GPUs stranded
    nodes = _nodes([4] * 6)
    pods = _pods([(40_000, 1, 1000)] * 30)
    bound = ilp_bound(nodes, pods, 3, level=100, stride=2, time_limit=10, per_gpu=True)
    assert bound.nodes == 3 and bound.optimal
    assert abs(bound.unallocated_pct - 75.0) < 1e-6
    # the LP over node shapes splits tasks across the summed cores: 384 / 40 = 9.6 of 24 tasks
    assert abs(lp_bound(nodes, pods, 3, 100) - 60.0) < 1e-6
    assert len(sample_nodes(nodes, 2, 3)) == 3
