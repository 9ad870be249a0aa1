"""Load smoke test: the API benchmark's harness (real server, open-loop job submissions) for a few
seconds at a low rate. It asserts nothing about speed, only that every request succeeded;
`make bench` runs the full 100 requests/s x 20 s measurement (bench/bench_api.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import bench_api


def test_a_short_burst_of_job_submissions_against_the_real_server_all_succeed() -> None:
    figures = bench_api.measure(rate=40, duration_s=3)
    print(f"\nload smoke: {figures}")
    assert figures["requests"] == 120 and figures["errors"] == 0, figures["first_errors"]
