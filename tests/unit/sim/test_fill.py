"""The fill experiment: definitions on hand-made clusters, and one seed against the published table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from suanli.sim import SimInputError
from suanli.sim.fill.data import NodeList, PodList, load_nodes, load_pods
from suanli.sim.fill.experiment import node_order, run_seed
from suanli.sim.fill.fgd import FGDScorer
from suanli.sim.fill.scoring import packing
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TypicalPods, arrival_sequence, task_types, typical_pods

OPENB = Path("/work/shared/data/openb")
needs_openb = pytest.mark.skipif(not OPENB.is_dir(), reason="openb data not present")


def _nodes(gpus: list[int]) -> NodeList:
    n = len(gpus)
    return NodeList([f"n{i}" for i in range(n)], np.full(n, 64_000), np.full(n, 256_000), np.array(gpus),
                    np.ones(n, np.int64), ["T4"])


def _pods(rows: list[tuple[int, int, int]]) -> PodList:
    """rows of (cpu_milli, num_gpu, gpu_milli)."""
    a = np.array(rows, np.int64)
    n = len(rows)
    return PodList([f"p{i:03d}" for i in range(n)], a[:, 0], np.full(n, 1000), a[:, 1], a[:, 2],
                   np.zeros(n, np.int64), [""] * n)


def test_fgd_prefers_the_gpu_that_leaves_room_for_the_typical_task() -> None:
    # Typical task: 0.6 GPU. The GPU with 0.5 free is already a fragment for it; filling that one
    # with a 0.5 task removes the fragment, while using the full or the 0.7 GPU would add one.
    typical = TypicalPods(np.array([1000]), np.array([600]), np.array([1]), np.array([0]), np.array([1.0]))
    state = ClusterState(_nodes([3]))
    state.set_gpus(0, [1000, 700, 500])
    types = task_types(_pods([(1000, 1, 500)]))
    score, gpu = FGDScorer(typical)(state, np.array([0]), types, 0)
    assert gpu[0] == 2 and score[0] > 50


def test_fgd_scores_no_change_as_exactly_fifty() -> None:
    typical = TypicalPods(np.array([1000]), np.array([1000]), np.array([1]), np.array([0]), np.array([1.0]))
    state = ClusterState(_nodes([2]))
    types = task_types(_pods([(0, 0, 0)]))  # a CPU-only task changes nothing GPU-wise here
    score, _ = FGDScorer(typical)(state, np.array([0]), types, 0)
    assert score[0] == 50


def test_packing_ranks_shared_gpus_above_used_nodes_above_idle_nodes() -> None:
    state = ClusterState(_nodes([2, 2, 2]))
    state.set_gpus(0, [600, 1000])   # a shared GPU in use
    state.set_gpus(1, [0, 1000])     # a used node with one free GPU
    types = task_types(_pods([(1000, 1, 500)]))
    score, gpu = packing(state, np.arange(3), types, 0)
    assert score[0] > score[1] > score[2] and gpu[0] == 0


def test_arrivals_stop_before_passing_the_tuned_capacity() -> None:
    pods = _pods([(1000, 1, 1000)] * 10)
    seq = arrival_sequence(pods, capacity_milli=10_000, seed=1, tune=1.3)
    assert len(seq) == 13 and sorted(seq[:10].tolist()) == list(range(10))


def test_node_order_is_seeded() -> None:
    assert (node_order(50, 3) == node_order(50, 3)).all()
    assert (node_order(50, 3) != node_order(50, 4)).any()


def test_typical_pods_cover_95_percent() -> None:
    pods = _pods([(1000, 1, 1000)] * 90 + [(2000, 1, 500)] * 6 + [(3000, 0, 0)] * 4)
    typical = typical_pods(pods)
    assert typical.num_gpu.tolist() == [1, 1] and typical.weight.sum() == pytest.approx(1.0)


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(SimInputError, match="unknown policy"):
        run_seed(_nodes([1]), _pods([(1, 1, 1000)]), "worst", 1)


@needs_openb
@pytest.mark.parametrize("policy, published, tolerance", [("fgd", 4.77, 1.0), ("bestfit", 7.14, 1.0)])
def test_one_seed_matches_the_published_table_at_100_percent(policy: str, published: float, tolerance: float) -> None:
    nodes = load_nodes(OPENB / "openb_node_list_gpu_node.csv")
    pods = load_pods(OPENB / "openb_pod_list_default.csv", nodes.models)
    assert run_seed(nodes, pods, policy, 42)[100] == pytest.approx(published, abs=tolerance)


@needs_openb
def test_best_beats_fgd_on_the_model_constrained_trace() -> None:
    nodes = load_nodes(OPENB / "openb_node_list_gpu_node.csv")
    pods = load_pods(OPENB / "openb_pod_list_gpuspec10.csv", nodes.models)
    assert run_seed(nodes, pods, "best", 42)[100] <= run_seed(nodes, pods, "fgd", 42)[100]


def test_fill_with_two_workers_reports_wall_seconds_and_the_same_figures(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from suanli.cli.sim import app

    nodes = tmp_path / "nodes.csv"
    nodes.write_text("sn,cpu_milli,memory_mib,gpu,model\n"
                     + "".join(f"n{i},32000,131072,{2 + i % 3},T4\n" for i in range(6)))
    pods = tmp_path / "pods.csv"
    shapes = [(4000, 1, 1000), (2000, 1, 500), (8000, 2, 1000), (1000, 0, 0), (2000, 1, 300)]
    pods.write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
                    + "".join(f"p{i:02d},{c},4096,{k},{m}\n" for i, (c, k, m) in enumerate(shapes * 4)))
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"fill-{workers}.json"
        result = CliRunner().invoke(app, ["fill", "--nodes", str(nodes), "--pods", str(pods), "--policy", "fgd",
                                          "--seeds", "1-4", "--workers", workers, "--json", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(out.read_text()))
    assert outputs[1]["wall_seconds"] > 0 and outputs[1]["seeds"] == [1, 2, 3, 4]
    assert outputs[0]["points"] == outputs[1]["points"]
