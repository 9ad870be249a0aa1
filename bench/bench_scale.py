"""A year of a city's data on PostgreSQL, then every list endpoint and the dashboard timed through the
real server: `list_p99_ms_at_scale` (the worst p99 over the lists, first page and deep page) and
`dashboard_p99_ms_at_scale`.

The loader (`load_city_year`) builds the year in SQL (`generate_series`) in a few minutes: 1,000
organisations with a user each plus a large one with 50 members, 1.2 million jobs (a fifth of them
the large organisation's, states as a year leaves them), 1.1 million usage records (one per finished
job) with the dashboard's aggregates summed from them, 4.4 million transparency-log entries (their
leaf hashes are SHA-256 of their bytes; the log's signed heads are not built, since no list reads
them), 2,324 ledger accounts and 12,005 invoices. Ledger legs are not loaded (the ledger's triggers
keep balances per leg; 7.3 million would take longer than the rest together), so
`/ledger/transfers` is not in the figure. SUANLI_BENCH_SCALE scales every count (default 1.0).

Each endpoint is asked 30 times in a row by one client, after two warm-up requests; "deep" pages
follow a cursor 100,000 rows in (the `after=` a `Link` header hands out), or the middle of the log.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from suanli.db.engine import make_engine
from suanli.db.models.audit import LOG_STATE_ID
from suanli.db.models.base import utcnow
from suanli.db.models.organisations import ApiTokenRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.merkle import append_to_frontier, frontier_keys, pack
from suanli.services import federation

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import bench_load

FEDERATION = (HERE.parent / "examples" / "federation-chengdu.yaml").read_text(encoding="utf-8")
ROUNDS = 30


def _counts(scale: float) -> dict[str, int]:
    return {name: max(10, int(n * scale)) for name, n in {
        "organisations": 1_000, "jobs": 1_200_000, "usage": 1_100_000, "log": 4_400_000, "accounts": 2_324,
        "invoices": 12_005}.items()}


def load_city_year(url: str, scale: float = 1.0) -> dict[str, Any]:
    """Fill a migrated, empty database with a year of a city; the counts and how long it took."""
    n = _counts(scale)
    engine = make_engine(url)
    started = time.perf_counter()
    statements = [
        # organisations 1..N and the operator (N+1); one user per organisation, 50 in the first
        f"""INSERT INTO organisations (name, name_zh, type, city, sectors, sme, affiliated_centers, demo, created_at)
            SELECT 'org-' || i, '企业' || i, 'enterprise', (ARRAY['成都','绵阳','德阳','宜宾','南充'])[1 + i % 5],
                   '[]', i % 3 = 0, '[]', false, '2025-01-01T00:00:00Z'
            FROM generate_series(1, {n['organisations']}) i""",
        """INSERT INTO organisations (name, name_zh, type, city, sectors, sme, affiliated_centers, demo, created_at)
           VALUES ('operator', '平台运营', 'platform', '成都', '[]', false, '[]', false, now())""",
        """INSERT INTO users (username, display_name, password_hash, role, organisation_id, active, created_at)
            SELECT 'user-' || o.id, '用户' || o.id, '!', 'org_member', o.id, true, now()
            FROM organisations o WHERE o.type = 'enterprise'""",
        """INSERT INTO users (username, display_name, password_hash, role, organisation_id, active, created_at)
           SELECT 'big-' || i, '大户' || i, '!', 'org_member', (SELECT min(id) FROM organisations WHERE type = 'enterprise'),
                  true, now() FROM generate_series(1, 49) i""",
        """INSERT INTO users (username, display_name, password_hash, role, organisation_id, active, created_at)
           SELECT u, u, '!', r, (SELECT id FROM organisations WHERE name = 'operator'), true, now()
           FROM (VALUES ('scale-operator', 'platform_operator'), ('scale-finance', 'finance_officer')) v(u, r)""",
        # jobs: a fifth to the large organisation (org 1, its 50 users), the rest spread; a year of them
        f"""INSERT INTO jobs (name, command, organisation_id, user_id, state, request, devices, time_limit_s,
                              pool_id, backend_job_id, started_at, ended_at, updated_at, retries, created_at)
            SELECT 'job-' || i, 'python train.py', org, usr,
                   CASE WHEN i % 97 = 0 THEN 'failed' WHEN i % 89 = 0 THEN 'cancelled'
                        WHEN i > {n['jobs']} - 300 THEN 'running' WHEN i > {n['jobs']} - 600 THEN 'queued'
                        ELSE 'succeeded' END,
                   '{{"devices": 1}}', 1 + i % 8, 3600 * (1 + i % 12),
                   (SELECT id FROM pools ORDER BY id LIMIT 1 OFFSET (i % (SELECT count(*) FROM pools))),
                   'b-' || i, at, at + interval '1 hour' * (1 + i % 12), at, 0, at
            FROM (SELECT i, timestamptz '2025-01-01T00:00:00Z' + (interval '1 second' * (i::bigint * 31536000 / {n['jobs']})) AS at,
                         CASE WHEN i % 5 = 0 THEN 1 ELSE 1 + i % {n['organisations']} END AS org
                  FROM generate_series(1, {n['jobs']}) i) g
            CROSS JOIN LATERAL (SELECT CASE WHEN org = 1 THEN (SELECT min(id) FROM users WHERE organisation_id = 1) + i % 50
                                            ELSE (SELECT id FROM users WHERE organisation_id = org LIMIT 1) END AS usr) u""",
        f"""INSERT INTO usage_records (job_id, center_id, pool_id, organisation_id, backend_job_id, step, device_seconds,
                                       core_seconds, wall_seconds, started_at, ended_at, source, charge_fen, created_at)
            SELECT j.id, p.center_id, j.pool_id, j.organisation_id, j.backend_job_id, 'main',
                   j.devices * extract(epoch FROM j.ended_at - j.started_at)::bigint, 0,
                   extract(epoch FROM j.ended_at - j.started_at)::bigint, j.started_at, j.ended_at, 'sacct',
                   j.devices * 1000, j.ended_at
            FROM jobs j JOIN pools p ON p.id = j.pool_id WHERE j.state = 'succeeded' AND j.id <= {n['usage']}""",
        """INSERT INTO report_usage_daily (center_id, ecosystem, day, device_seconds)
           SELECT u.center_id, p.ecosystem, (u.started_at AT TIME ZONE 'UTC')::date, sum(u.device_seconds)
           FROM usage_records u JOIN pools p ON p.id = u.pool_id GROUP BY 1, 2, 3""",
        """INSERT INTO report_served (kind, member_id) SELECT DISTINCT 'organisation', organisation_id FROM jobs""",
        """INSERT INTO report_served (kind, member_id) SELECT DISTINCT 'user', user_id FROM jobs""",
        f"""INSERT INTO audit_events (seq, kind, subject, organisation_id, canonical, leaf_hash, created_at)
            SELECT base + i, k, 'job:' || i, 1 + i % {n['organisations']}, c, sha256('\\x00'::bytea || c), now()
            FROM (SELECT i, (SELECT coalesce(max(seq) + 1, 0) FROM audit_events) AS base, (ARRAY['job.state_changed','ledger.transfer_posted','voucher.redeemed','user.signed_in'])[1 + i % 4] AS k,
                         convert_to('{{"seq":' || i || ',"kind":"job.state_changed","payload":{{}}}}', 'UTF8') AS c
                  FROM generate_series(0, {n['log']} - 1) i) g""",
        f"""INSERT INTO ledger_accounts (code, name, type, purpose, owner_kind, owner_id, scope, currency, normal_sign,
                                         non_negative, balance_fen, created_at)
            SELECT 'scale:' || i, '账户' || i, 'liability', 'voucher_wallet', 'organisation', 1 + i % {n['organisations']},
                   'scale-' || i, 'CNY', 1, false, 0, now() FROM generate_series(1, {n['accounts']}) i""",
        f"""INSERT INTO invoices (number, organisation_id, month, list_price_fen, subsidy_fen, amount_due_fen, sequence, created_at)
            SELECT 'INV' || to_char(timestamptz '2025-01-01' + interval '1 month' * (i % 12), 'YYYYMM') || '-' || lpad(i::text, 6, '0'),
                   1 + i % {n['organisations']}, to_char(timestamptz '2025-01-01' + interval '1 month' * (i % 12), 'YYYY-MM'),
                   100000, 30000, 70000, i, now() FROM generate_series(1, {n['invoices']}) i""",
    ]
    with engine.begin() as conn:  # the organisations first, so they are ids 1..N
        for statement in statements[:2]:
            conn.execute(text(statement))
    with unit_of_work(session_factory(engine)) as s:
        federation.load_federation(s, text=FEDERATION)
    with engine.begin() as conn:
        for statement in statements[2:]:
            conn.execute(text(statement))
    _set_log_state(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    loaded_s = time.perf_counter() - started
    engine.dispose()
    return {"counts": n, "load_s": round(loaded_s, 1)}


def _set_log_state(engine: Any) -> None:
    """The loaded entries become the log's tree: its size and frontier in `audit_log_state` (folded
    from the leaf hashes in seq order) and the frontier's subtrees in `audit_nodes`, so the sequencer
    appends what the server's own requests write after them (seq 4.4 million on), as on a real log."""
    frontier: list[bytes] = []
    size = 0
    with engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=50_000).execute(
            text("SELECT leaf_hash FROM audit_events ORDER BY seq"))
        for (leaf,) in rows:
            append_to_frontier(frontier, size, bytes(leaf))
            size += 1
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log_state (id, tree_size, frontier) VALUES (:id, :size, :frontier) "
                          "ON CONFLICT (id) DO UPDATE SET tree_size = :size, frontier = :frontier"),
                     {"id": LOG_STATE_ID, "size": size, "frontier": pack(frontier)})
        for (level, idx), digest in zip(frontier_keys(size), frontier, strict=True):
            conn.execute(text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:level, :idx, :hash) "
                              "ON CONFLICT DO NOTHING"), {"level": level, "idx": idx, "hash": digest})


def _tokens(url: str, small: str) -> dict[str, str]:
    engine = make_engine(url)
    found: dict[str, str] = {}
    with unit_of_work(session_factory(engine)) as s:
        for who in ("scale-operator", "scale-finance", "big-1", small):
            user_id = s.execute(text("SELECT id FROM users WHERE username = :u"), {"u": who}).scalar_one()
            token = secrets.token_urlsafe(32)
            s.add(ApiTokenRow(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user_id,
                              expires_at=utcnow() + timedelta(hours=2)))
            found[who] = token
    engine.dispose()
    return found


def _deep_cursor(client: httpx.Client, path: str, headers: dict[str, str], rows_in: int) -> str:
    """The `after=` cursor `rows_in` rows into a list (following Link headers 500 rows at a time)."""
    url = path + ("&" if "?" in path else "?") + "limit=500"
    for _ in range(rows_in // 500):
        answer = client.get(url, headers=headers)
        nxt = answer.links.get("next", {}).get("url")
        if not nxt:
            break
        url = nxt
    return url.replace("limit=500", "limit=50")


def _time(client: httpx.Client, path: str, headers: dict[str, str]) -> dict[str, float]:
    for _ in range(2):
        client.get(path, headers=headers)
    ms = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        answer = client.get(path, headers=headers)
        ms.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    ms.sort()
    return {"p50_ms": round(statistics.median(ms), 1), "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1)}


def measure(url: str, data_dir: Path, organisations: int) -> dict[str, Any]:
    small = f"user-{organisations // 2}"  # a member of an ordinary organisation
    tokens = _tokens(url, small)
    auth = {who: {"Authorization": f"Bearer {t}"} for who, t in tokens.items()}
    process, base = bench_load.start_server(url, data_dir)
    lists: dict[str, dict[str, float]] = {}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            cases = {
                "jobs (operator, all)": ("/api/v1/jobs?limit=50", auth["scale-operator"], 100_000),
                "jobs (large organisation's member)": ("/api/v1/jobs?limit=50", auth["big-1"], 2_000),
                "jobs (member, state filter)": ("/api/v1/jobs?limit=50&state=failed", auth["big-1"], 0),
                "jobs (small organisation's member)": ("/api/v1/jobs?limit=50", auth[small], 0),
                "audit events (operator)": ("/api/v1/audit/events?limit=50", auth["scale-operator"], 100_000),
                "audit events (organisation)": ("/api/v1/audit/events?limit=50", auth[small], 2_000),
                "ledger accounts (finance)": ("/api/v1/ledger/accounts?limit=50", auth["scale-finance"], 2_000),
                "invoices (finance)": ("/api/v1/ledger/invoices?limit=50", auth["scale-finance"], 10_000),
            }
            for name, (path, headers, deep) in cases.items():
                lists[f"{name}, first page"] = _time(client, path, headers)
                if deep:
                    lists[f"{name}, deep page"] = _time(client, _deep_cursor(client, path, headers, deep), headers)
            dashboard = {page: _time(client, page, {}) for page in ("/dashboard", "/dashboard.csv")}
    finally:
        bench_load.stop_server(process)
    return {"lists": lists, "dashboard": dashboard}


def run() -> dict[str, dict[str, Any]]:
    admin = os.environ.get("SUANLI_BENCH_POSTGRES_URL") or os.environ.get("SUANLI_TEST_POSTGRES_URL") \
        or "postgresql://postgres@127.0.0.1/postgres"
    scale = float(os.environ.get("SUANLI_BENCH_SCALE", "1.0"))
    from suanli_testing import migrated_postgres_database

    with migrated_postgres_database(admin, "suanli_bench_scale") as url, \
            tempfile.TemporaryDirectory(prefix="suanli-bench-scale-") as tmp:
        loaded = load_city_year(url, scale)
        figures = measure(url, Path(tmp) / "data", loaded["counts"]["organisations"])
    load = [round(x, 1) for x in os.getloadavg()]
    worst_list = max(figures["lists"].items(), key=lambda kv: kv[1]["p99_ms"])
    worst_dash = max(figures["dashboard"].items(), key=lambda kv: kv[1]["p99_ms"])
    common = {"database": "postgresql", "scale": scale, **loaded, "load_average": load,
              "server": "suanli serve --no-workers (one uvicorn process), one client, 30 requests each"}
    return {
        "list_p99_ms_at_scale": {"value": worst_list[1]["p99_ms"], "unit": "ms p99 (worst list)", "goal": 200,
                                 "worst": worst_list[0], "lists": figures["lists"], **common},
        "dashboard_p99_ms_at_scale": {"value": worst_dash[1]["p99_ms"], "unit": "ms p99 (worst of page, csv)",
                                      "goal": 100, "pages": figures["dashboard"], **common},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
