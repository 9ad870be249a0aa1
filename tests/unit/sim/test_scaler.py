"""The trace scaler (time compression, job multiplication) and the replay's backfill shortcut."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from suanli.sim import SimInputError
from suanli.sim.brokers import BROKERS
from suanli.sim.engine import Replay
from suanli.sim.federation import SimCenter, SimFederation, VoucherProgram
from suanli.sim.scaler import offered_load, scale_to_load, scale_trace
from suanli.sim.traces import Trace


def _fed() -> SimFederation:
    centers = [SimCenter("a", "a", "easy-backfill", 8000, 10**9, 8, 100, 0, 0.5, True),
               SimCenter("b", "b", "fifo", 4000, 10**9, 4, 50, 0, 0.5, True)]
    return SimFederation("t", centers, VoucherProgram(0, Fraction(0)), [0, 1], 1000)


def _trace(n: int = 400, seed: int = 3) -> Trace:
    rng = np.random.default_rng(seed)
    submit = np.sort(rng.uniform(0, 100_000, n))
    duration = rng.uniform(60, 3000, n)
    gpus = rng.choice([250, 500, 1000, 2000, 4000], n)
    return Trace(submit - submit[0], duration, gpus, np.zeros(n, np.int64), np.arange(n) % 2,
                 duration * rng.uniform(1, 2, n), "synthetic")


def test_compression_and_copies_multiply_the_offered_load() -> None:
    trace, fed = _trace(), _fed()
    base = offered_load(trace, fed)
    scaled = scale_trace(trace, compress=1.0, copies=4, seed=1)
    assert len(scaled) == 4 * len(trace)
    assert np.all(np.diff(scaled.submit) >= 0) and scaled.submit[0] == 0
    assert sorted(scaled.duration.tolist()) == sorted(np.tile(trace.duration, 4).tolist())
    assert offered_load(scaled, fed) == pytest.approx(4 * base, rel=0.05)
    assert offered_load(scale_trace(trace, 3.0, 1), fed) > 2 * base  # shorter window, same work


def test_scaling_is_seeded() -> None:
    trace = _trace()
    a, b, c = (scale_trace(trace, 1.0, 3, seed) for seed in (7, 7, 8))
    assert np.array_equal(a.submit, b.submit) and not np.array_equal(a.submit, c.submit)


@pytest.mark.parametrize("target", [0.6, 0.8, 0.95])
def test_scale_to_load_hits_the_target(target: float) -> None:
    trace, fed = _trace(), _fed()
    assert offered_load(scale_to_load(trace, fed, target, copies=2, seed=1), fed) == pytest.approx(target, rel=0.05)


def test_bad_scaler_input_is_a_readable_error() -> None:
    with pytest.raises(SimInputError, match="--copies"):
        scale_trace(_trace(), 1.0, 0)
    with pytest.raises(SimInputError, match="--target-load"):
        scale_to_load(_trace(), _fed(), 0.0)


def test_the_backfill_shortcut_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrivals look only at the new job when nothing changed: the same starts as full passes
    (the fused loop against the reference loop made to run a full pass at every event)."""
    trace = scale_to_load(_trace(), _fed(), 0.9, copies=3, seed=2)
    fast = Replay(_fed(), trace)
    fast.run(BROKERS["home-center"]())
    slow = Replay(_fed(), trace)
    monkeypatch.setattr(Replay, "_schedule", _full_pass_schedule)
    slow.run_reference(BROKERS["home-center"]())
    assert fast.start == slow.start and fast.center == slow.center
    assert max(np.array(fast.start) - trace.submit) > 0  # queues did form


def _full_pass_schedule(self: Replay, c: int, now: float, arrived: int = -1) -> None:
    self.settled[c] = False
    Replay._original_schedule(self, c, now, -1)  # type: ignore[attr-defined]


Replay._original_schedule = Replay._schedule  # type: ignore[attr-defined]


def test_cli_target_load_reports_the_offered_load(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from suanli.cli.sim import app

    root = Path(__file__).resolve().parents[3]
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["replay", "--federation", str(root / "examples" / "sim-federation-chengdu.yaml"),
                                      "--trace", str(root / "examples" / "traces" / "small.swf"),
                                      "--target-load", "0.7", "--json", str(out)])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(out.read_text())
    assert data["offered_load"] == pytest.approx(0.7, rel=0.05)
    copies = data["trace_meta"]["copies"]
    assert copies > 1 and data["jobs"] + data["unplaced"] == 11 * copies  # as many copies as the load needs
