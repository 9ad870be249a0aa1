"""API load benchmark: job submissions at a fixed rate against the real server on loopback.

Starts `suanli serve --no-workers` on a free port over a fresh SQLite database (the `make demo`
set-up), signs in one organisation member, then sends `POST /api/v1/jobs` open-loop at `rate`
requests per second for `duration_s` seconds from an asyncio client. Latency is measured from each
request's *scheduled* send time to its answer, so a stalled server is not hidden by a stalled client
(no coordinated omission). Reports `api_submit_p99_ms` with p50, error count and achieved rate.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import FEDERATION, JOB, start_server, stop_server  # the bench folder is a path, not a package


def _prepare(url: str) -> str:
    """Migrate, load a one-center federation, create a member and return a bearer token for it."""
    from suanli.db.engine import make_engine
    from suanli.db.migrate import upgrade
    from suanli.db.models.base import utcnow
    from suanli.db.models.organisations import ApiTokenRow
    from suanli.db.uow import session_factory, unit_of_work
    from suanli.domain.organisations import OrganisationType, Role
    from suanli.services import accounts, federation, organisations

    engine = make_engine(url)
    upgrade(engine)
    token = secrets.token_urlsafe(32)
    with unit_of_work(session_factory(engine)) as s:
        federation.load_federation(s, text=FEDERATION)
        org = organisations.create_organisation(s, name="bench", name_zh="压测", type=OrganisationType.ENTERPRISE,
                                                city="成都").id
        user = accounts.create_user(s, username="bench", password="bench-pass-42", role=Role.ORG_MEMBER,
                                    organisation_id=org)
        s.add(ApiTokenRow(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user.id,
                          expires_at=utcnow() + timedelta(hours=1)))
    engine.dispose()
    return token


async def _load(base: str, token: str, rate: float, duration_s: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=30) as client:

        async def one(i: int, scheduled: float) -> None:
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                answer = await client.post("/api/v1/jobs", json={**JOB, "name": f"bench-{i}"})
                if answer.status_code != 201:
                    errors.append(f"{answer.status_code} {answer.text[:120]}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - scheduled)

        for i in range(20):  # warm-up: connections, caches, first-request imports
            await one(-i - 1, time.perf_counter())
        latencies.clear()
        start = time.perf_counter() + 0.05
        n = int(rate * duration_s)
        await asyncio.gather(*(one(i, start + i / rate) for i in range(n)))
    return latencies, errors


def measure(rate: float = 100, duration_s: float = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="suanli-bench-api-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        token = _prepare(url)
        process, base = start_server(url, Path(tmp) / "data")
        try:
            started = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever runs here
                latencies, errors = pool.submit(asyncio.run, _load(base, token, rate, duration_s)).result()
            wall = time.perf_counter() - started
        finally:
            stop_server(process)
    ms = sorted(x * 1000 for x in latencies)
    p = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"requests": len(ms), "errors": len(errors), "first_errors": errors[:5], "p50_ms": round(p[49], 2),
            "p99_ms": round(p[98], 2), "max_ms": round(ms[-1], 2), "rate_rps": rate,
            "achieved_rps": round(len(ms) / wall, 1), "duration_s": duration_s}


def run() -> dict[str, dict[str, Any]]:
    figures = measure()
    return {"api_submit_p99_ms": {"value": figures["p99_ms"], "unit": "ms", "goal": "<= 50 ms on 2 cores",
                                  "database": "sqlite (embedded, as `make demo`)", "server": "suanli serve --no-workers",
                                  "load": "open-loop POST /api/v1/jobs, latency from scheduled send time",
                                  **figures}}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
