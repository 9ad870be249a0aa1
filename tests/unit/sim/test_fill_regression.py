"""The fill experiment places every task exactly as the code before the speed-up did.

`fill_golden.json` holds, per policy / trace / seed, a digest of every placement (node, task
type, GPU) and the unallocated GPU % per arrival level, recorded with the original code. The
fidelity table in docs/simulator.md rests on those placements, so a speed-up must reproduce
them bit for bit; a deliberate change of method regenerates the file and the table together.
Seeds of one trace run on the same loaded objects, so the per-seed caches are exercised too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from suanli.sim.fill.data import MILLI, NodeList, PodList, load_nodes, load_pods
from suanli.sim.fill.experiment import run_seed
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TaskTypes

OPENB = Path("/work/shared/data/openb")
GOLDEN = json.loads((Path(__file__).parent / "fill_golden.json").read_text())
CASES = sorted(key for key in GOLDEN if not key.startswith("_"))
_LOADED: dict[str, tuple[NodeList, PodList]] = {}

pytestmark = pytest.mark.skipif(not OPENB.is_dir(), reason="openb data not present")


def _inputs(trace: str) -> tuple[NodeList, PodList]:
    if trace not in _LOADED:
        nodes = load_nodes(OPENB / "openb_node_list_gpu_node.csv")
        _LOADED[trace] = nodes, load_pods(OPENB / f"openb_pod_list_{trace}.csv", nodes.models)
    return _LOADED[trace]


@pytest.mark.parametrize("case", CASES)
def test_placements_and_figures_are_those_of_the_original_code(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    policy, trace, seed = case.split("/")
    placed: list[tuple[int, int, int]] = []
    place = ClusterState.place

    def recording(self: ClusterState, node: int, types: TaskTypes, t: int, gpu: int) -> None:
        fractional = types.num_gpu[t] == 1 and types.gpu_milli[t] < MILLI
        placed.append((int(node), int(t), int(gpu) if fractional else -1))
        place(self, node, types, t, gpu)

    monkeypatch.setattr(ClusterState, "place", recording)
    levels = run_seed(*_inputs(trace), policy, int(seed))
    expected = GOLDEN[case]
    assert len(placed) == expected["placements"]
    assert hashlib.sha256(json.dumps(placed).encode()).hexdigest() == expected["digest"]
    assert {str(lv): float(v) for lv, v in levels.items()} == expected["unallocated_pct"]
