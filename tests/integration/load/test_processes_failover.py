"""Two API processes (`suanli serve`, each with its in-process audit sequencer) and two `suanli
worker` processes on one PostgreSQL, under a stream of money transfers and job submissions spread over
both APIs; one API process and one worker are killed with SIGKILL mid-stream. A client whose request
died with its server retries the same Idempotency-Key on the other one, as a load balancer's client
would. Afterwards: every transfer key is stored once and answered as stored, money is conserved and
no wallet went negative, every job accepted finishes and is metered and charged exactly once, and the
transparency log has no gap: every outbox entry is sequenced (by the survivor's sequencer) and the
log verifies."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from load_processes import bench_load, start_worker
from sqlalchemy import func, select

from suanli.db.engine import make_engine
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import LedgerChargeRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.services import audit

STREAM, CLIENTS = 120, 8  # requests in all, and how many are in flight at once


class Stream:
    """The clients' side: which transfer keys were answered with which id, which jobs were accepted."""

    def __init__(self, world: bench_load.World, bases: list[str]) -> None:
        self.world, self.bases, self.dead = world, bases, set[str]()
        self.outcome = bench_load.Outcome()
        self.jobs: list[int] = []
        self.lock = threading.Lock()

    def _send(self, i: int, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """Try each live server in turn (starting with this request's own), retrying 503s."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for base in self.bases[i % 2:] + self.bases[:i % 2]:
                if base in self.dead:
                    continue
                try:
                    answer = httpx.request(method, f"{base}{path}", timeout=20, **kwargs)
                except httpx.TransportError:
                    continue  # its server died under it: the other one, with the same key
                if answer.status_code != 503:
                    return answer
            time.sleep(0.2)
        return None

    def one(self, i: int) -> None:
        finance = {"Authorization": f"Bearer {self.world.finance_token}"}
        if i % 3 == 2:
            member = {"Authorization": f"Bearer {self.world.member_token}"}
            answer = self._send(i, "POST", "/api/v1/jobs", json={**bench_load.JOB, "name": f"kill-{i}"}, headers=member)
            assert answer is not None and answer.status_code == 201, answer and answer.text
            with self.lock:
                self.jobs.append(int(answer.json()["id"]))
            return
        src, dst = self.world.wallets[i % 4], self.world.wallets[(i + 1) % 4]
        key = f"load:kill:{i}"
        body = {"legs": [{"account_id": src, "side": "debit", "amount_fen": 100 + i},
                         {"account_id": dst, "side": "credit", "amount_fen": 100 + i}]}
        answer = self._send(i, "POST", "/api/v1/ledger/transfers", json=body, headers={**finance, "Idempotency-Key": key})
        with self.lock:
            if answer is None:
                self.outcome.unanswered.add(key)
            else:
                assert answer.status_code in (200, 201), answer.text
                self.outcome.committed[key] = int(answer.json()["id"])


def _wait(what: str, done: Any, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.mark.postgres
def test_an_api_process_and_a_worker_killed_mid_stream_lose_nothing_and_do_nothing_twice(
        postgres_url: str, tmp_path: Path) -> None:
    db_url = postgres_url
    world = bench_load.prepare(db_url, migrate=False)
    data_dir = tmp_path / "data"
    (first, base_a), (second, base_b) = (bench_load.start_server(db_url, data_dir),
                                         bench_load.start_server(db_url, data_dir))
    workers = [start_worker(db_url, data_dir, tmp_path / f"worker-{n}.log") for n in "ab"]
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    stream = Stream(world, [base_a, base_b])
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(stream.one, i) for i in range(STREAM)]
            _wait("the stream to get going", lambda: sum(f.done() for f in futures) >= STREAM // 3)
            assert sum(f.done() for f in futures) < STREAM  # the kill comes mid-stream
            os.killpg(first.pid, signal.SIGKILL)  # the API process and its sequencer, mid-request
            workers[0].send_signal(signal.SIGKILL)  # and a worker, mid-tick
            stream.dead.add(base_a)
            for future in futures:
                future.result()

        def jobs_final() -> bool:
            with unit_of_work(sessions) as s:
                return set(s.scalars(select(JobRow.state)).all()) <= {"succeeded"}

        _wait("every job to finish on the surviving worker", jobs_final)
        _wait("the survivor's sequencer to place every outbox entry",
              lambda: _pending(sessions) == 0)
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        bench_load.stop_server(first)
        log = bench_load.stop_server(second)
    assert workers[1].returncode in (0, -signal.SIGTERM), (tmp_path / "worker-b.log").read_text()[-2000:]

    assert not bench_load.check_invariants(world, stream.outcome, data_dir), log[-2000:]
    assert len(stream.outcome.committed) + len(stream.outcome.unanswered) == STREAM - len(stream.jobs)
    with unit_of_work(sessions) as s:
        states = Counter(s.scalars(select(JobRow.state)).all())
        assert states == {"succeeded": states.total()} and states.total() >= len(stream.jobs), states
        metered = dict(s.execute(select(UsageRecordRow.job_id, func.count()).group_by(UsageRecordRow.job_id)).all())
        assert set(stream.jobs) <= set(metered) and set(metered.values()) == {1}, metered  # once each
        charged = Counter(s.scalars(select(LedgerChargeRow.job_id)).all())
        assert set(charged) == set(metered) and set(charged.values()) == {1}, charged
        assert audit.check_log(s, public_key=audit.init_signer(data_dir).public_key).ok
    engine.dispose()


def _pending(sessions: Any) -> int:
    with unit_of_work(sessions) as s:
        return audit.pending_count(s)
