"""A year of a city's data on PostgreSQL, then every list endpoint and the dashboard timed through the
real server: `list_p99_ms_at_scale` (the worst p99 over the lists, first page and deep page) and
`dashboard_p99_ms_at_scale`.

The loader (`load_city_year`) builds the year in SQL (`generate_series`) in a few minutes (7, 2.4 of
them the ledger, on the shared 2-core machine of 2026-12-03): 1,000 organisations with a user each
plus a large one with 50 members, 1.2 million jobs (a fifth of them
the large organisation's, states as a year leaves them), 1.1 million usage records (one per finished
job) with the dashboard's aggregates summed from them, 4.4 million transparency-log entries (their
leaf hashes are SHA-256 of their bytes; the log's signed heads are not built, since no list reads
them), and the year's ledger: 2,324 accounts (cash, budgets of 4 programs, the centers' payables, a
clearing account and one or two voucher wallets per organisation), ~3.65 million transfers with two
legs each (7.3 million legs: quarterly deposits and grants, holds wallet → clearing, each posted to a
payable or voided 1-12 hours later, the year's last still pending; a fifth of the holds on the large
organisation's first wallet, `HOT_WALLET`) and 12,005 invoices (one per organisation and month with
usage, then supplementary ones; one charge and line each). The ledger goes in as pg_restore loads a dump: in one transaction with
`session_replication_role = replica` (no per-row triggers or foreign-key checks), secondary indexes
built after the rows, balances set from the sums of the legs; `ledger.check_consistency` then proves
it (balances = leg sums, every transfer balanced and sealed, clearing = open holds, documents = their
charges) or the load fails. SUANLI_BENCH_SCALE scales every count (default 1.0).

Each endpoint is asked 30 times in a row by one client, after two warm-up requests; "deep" pages
follow a cursor 100,000 rows in (the `after=` a `Link` header hands out), or the middle of the log.
`/ledger/transfers` is read by the finance officer (it is the treasury's list: organisations read
their accounts' statements), all of them and the hot wallet's (`?account_id=`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
from suanli.services import federation, ledger

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import bench_load

FEDERATION = (HERE.parent / "examples" / "federation-chengdu.yaml").read_text(encoding="utf-8")
ROUNDS = 30
PROGRAMS = 4  # voucher programs, each with its budget; wallets are spread over them
YEAR = "2025-01-01T00:00:00Z"
QUARTERS = ("2025-01-01T00:00:00Z", "2025-04-01T00:00:00Z", "2025-07-01T00:00:00Z", "2025-10-01T00:00:00Z")
CST_MONTH = "to_char({} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"  # a period is a month in China Standard Time
HOT_WALLET = "voucher_wallet:organisation:1:program:1"  # the large organisation's: a fifth of all holds


def _counts(scale: float) -> dict[str, int]:
    n = {name: max(10, int(count * scale)) for name, count in {
        "organisations": 1_000, "jobs": 1_200_000, "usage": 1_100_000, "log": 4_400_000, "accounts": 2_324,
        "invoices": 12_005, "transfers": 3_650_000}.items()}
    # one wallet per organisation, a second for some; the rest of the accounts are the platform's,
    # the budgets, the centers' payables and a clearing account per organisation
    n["wallets"] = min(2 * n["organisations"], max(n["organisations"], n["accounts"] - n["organisations"] - 13))
    return n


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
    ]
    with engine.begin() as conn:  # the organisations first, so they are ids 1..N
        for statement in statements[:2]:
            conn.execute(text(statement))
    with unit_of_work(session_factory(engine)) as s:
        federation.load_federation(s, text=FEDERATION)
    with engine.begin() as conn:
        for statement in statements[2:]:
            conn.execute(text(statement))
    ledger_started = time.perf_counter()
    with engine.begin() as conn:
        # As pg_restore loads a dump: the per-row triggers and foreign-key checks are off for this
        # transaction only (a superuser's right), the invariants they keep are checked after it.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        with _indexes_built_after(conn, ("ledger_transfers", "ledger_legs")):
            for statement in _ledger_statements(n):
                conn.execute(text(statement))
        for statement in _document_statements(n):
            conn.execute(text(statement))
        conn.execute(text("SET LOCAL session_replication_role = origin"))
    ledger_s = time.perf_counter() - ledger_started
    _set_log_state(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Every table vacuumed and analysed, as autovacuum leaves a year written day by day (and as
        # one does after a restore): the visibility map set for index-only scans (the legs' sums by
        # account), and no autovacuum of the fresh tables running under the first timed requests
        # (it put one 200 ms outlier into whichever list was timed first).
        conn.execute(text("VACUUM (ANALYZE)"))
    loaded_s = time.perf_counter() - started
    checked = time.perf_counter()
    with unit_of_work(session_factory(engine)) as s:
        problems = ledger.check_consistency(s)
        counted = {table: int(s.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                   for table in ("ledger_accounts", "ledger_transfers", "ledger_legs", "invoices")}
    if problems:
        raise AssertionError(f"the loaded ledger is inconsistent: {len(problems)} problems, first {problems[:5]}")
    check_s = time.perf_counter() - checked
    engine.dispose()
    return {"counts": n, "rows": counted, "load_s": round(loaded_s, 1), "ledger_load_s": round(ledger_s, 1),
            "consistency_check_s": round(check_s, 1)}


@contextmanager
def _indexes_built_after(conn: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """The tables' secondary indexes and unique constraints dropped while the block fills them and built
    again after it, from their own definitions in the catalogue (as pg_restore orders a load: one
    sorted build per index is several times cheaper than 7 million inserts into each). Primary keys
    stay: foreign keys depend on them."""
    names = list(tables)
    uniques = conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'u' AND conrelid::regclass::text = ANY(:t)"), {"t": names}).all()
    indexes = conn.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid::regclass::text = ANY(:t))"), {"t": names}).all()
    for table, name, _definition in uniques:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _definition in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
    for table, name, definition in uniques:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    for _name, definition in indexes:
        conn.execute(text(definition))


def _ledger_statements(n: dict[str, int]) -> list[str]:
    """A year of the ledger as `pg_restore` would load it: accounts, then every transfer and its two legs
    computed in temporary tables and inserted once each, balances summed from the legs. The caller runs
    them in one transaction with `session_replication_role = replica`, so the per-row guards (the
    deferred zero-sum trigger, the balance trigger, foreign keys) do not fire 7 million times; the
    invariants they keep are proven afterwards with `check_consistency`.

    The accounts: the platform's cash, equity and fee income, a budget per program, a payable per
    center, a clearing account and one or two voucher wallets per organisation. The transfers, in
    time order (ids follow `effective_at`): each quarter opens with a deposit into each budget
    (cash → budget) and a grant into each wallet (budget → wallet) covering that quarter's holds; then
    holds (wallet → clearing; a fifth on the large organisation's first wallet, the hot one), each
    settled 1-12 hours later by a post (clearing → the center's payable) or, one in eleven, a void
    (clearing → wallet); holds whose job outlives the year stay pending."""
    organisations, wallets = n["organisations"], n["wallets"]
    holds = max(1, (n["transfers"] - PROGRAMS * 4 - wallets * 4) // 2)
    quarters = ", ".join(f"timestamptz '{q}'" for q in QUARTERS)
    return [
        "SET LOCAL work_mem = '512MB'",
        "SET LOCAL temp_buffers = '1GB'",  # the temporary tables stay in memory (before any is used)
        "SET LOCAL max_parallel_workers_per_gather = 0",  # one ordered scan: ids stay in heap order
        f"""INSERT INTO ledger_accounts (code, name, type, purpose, owner_kind, owner_id, scope, currency, normal_sign,
                                         non_negative, balance_fen, created_at)
            SELECT code, code, type, purpose, kind, owner, scope, 'CNY', sign, non_negative, 0, timestamptz '{YEAR}'
            FROM (SELECT 'cash:platform' AS code, 'asset' AS type, 'cash' AS purpose, 'platform' AS kind,
                         NULL::int AS owner, '' AS scope, 1 AS sign, true AS non_negative, 1 AS o
                  UNION ALL SELECT 'equity:platform', 'equity', 'equity', 'platform', NULL, '', -1, false, 2
                  UNION ALL SELECT 'platform_fee_income:platform', 'income', 'platform_fee_income', 'platform', NULL,
                                   '', -1, false, 3
                  UNION ALL SELECT 'program_budget:program:' || p, 'liability', 'program_budget', 'program', p, '', -1,
                                   true, 4 FROM generate_series(1, {PROGRAMS}) p
                  UNION ALL SELECT 'provider_payable:' || kind || ':' || owner, 'liability', 'provider_payable', kind,
                                   owner, '', -1, true, 5
                            FROM (SELECT DISTINCT CASE WHEN provider_organisation_id IS NULL THEN 'center'
                                                       ELSE 'organisation' END AS kind,
                                         coalesce(provider_organisation_id, id) AS owner FROM centers) c
                  UNION ALL SELECT 'clearing:organisation:' || o, 'liability', 'clearing', 'organisation', o, '', -1,
                                   true, 6 FROM generate_series(1, {organisations}) o
                  UNION ALL SELECT 'voucher_wallet:organisation:' || org || ':program:' || prog, 'liability',
                                   'voucher_wallet', 'organisation', org, 'program:' || prog, -1, true, 7
                            FROM (SELECT 1 + (w - 1) % {organisations} AS org,
                                         1 + ((w - 1) + (w - 1) / {organisations}) % {PROGRAMS} AS prog
                                  FROM generate_series(1, {wallets}) w) x) a ORDER BY o, owner""",
        # wallet w (1 = the large organisation's first, the hot one) with its owner's clearing account
        f"""CREATE TEMP TABLE scale_wallets ON COMMIT DROP AS
            SELECT w, prog, a.id AS wallet, c.id AS clearing, b.id AS budget
            FROM (SELECT w, 1 + (w - 1) % {organisations} AS org, 1 + ((w - 1) + (w - 1) / {organisations}) % {PROGRAMS} AS prog
                  FROM generate_series(1, {wallets}) w) x
            JOIN ledger_accounts a ON a.code = 'voucher_wallet:organisation:' || org || ':program:' || prog
            JOIN ledger_accounts c ON c.code = 'clearing:organisation:' || org
            JOIN ledger_accounts b ON b.code = 'program_budget:program:' || prog""",
        """CREATE TEMP TABLE scale_payables ON COMMIT DROP AS
           SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM ledger_accounts WHERE purpose = 'provider_payable'""",
        # hold h: its time, wallet, payable, amount (5-1,000 yuan) and how it ends
        f"""CREATE TEMP TABLE scale_holds ON COMMIT DROP AS
            SELECT h, at, w.w, w.wallet, w.clearing, p.id AS payable, 500 + (h::bigint * 7919) % 99500 AS amount,
                   (1 + h % (SELECT count(*) FROM jobs))::text AS job,
                   CASE WHEN settle_at >= timestamptz '{YEAR}' + interval '1 year' THEN 'pending'
                        WHEN h % 11 = 0 THEN 'voided' ELSE 'posted' END AS outcome, settle_at,
                   width_bucket(at, ARRAY[{quarters}]) AS quarter
            FROM (SELECT h, at, at + interval '1 hour' * (1 + h % 12) AS settle_at
                  FROM (SELECT h, timestamptz '{YEAR}' + interval '1 second' * (h::float8 * 31536000 / {holds + 1}) AS at
                        FROM generate_series(1, {holds}) h) g) t
            JOIN scale_wallets w ON w.w = CASE WHEN h % 5 = 0 THEN 1 ELSE 1 + h % {wallets} END
            JOIN scale_payables p ON p.k = h % (SELECT count(*) FROM scale_payables)""",
        # each wallet's grant per quarter: that quarter's holds and a tenth more (a grant of at least 100 yuan)
        f"""CREATE TEMP TABLE scale_grants ON COMMIT DROP AS
            SELECT w.w, w.wallet, w.budget, w.prog, q.quarter, q.at, 10000 + coalesce(s.held, 0) * 11 / 10 AS amount
            FROM scale_wallets w CROSS JOIN unnest(ARRAY[{quarters}]) WITH ORDINALITY q(at, quarter)
            LEFT JOIN (SELECT w, quarter, sum(amount)::bigint AS held FROM scale_holds GROUP BY w, quarter) s
                   ON s.w = w.w AND s.quarter = q.quarter""",
        # every transfer, numbered in time order after any transfer already there (seq orders those at
        # the same moment: deposits, grants, then holds and settles)
        """CREATE TEMP TABLE scale_numbered ON COMMIT DROP AS
           SELECT (SELECT coalesce(max(id), 0) FROM ledger_transfers) + row_number() OVER (ORDER BY at, ord, seq) AS id, m.*
           FROM (SELECT at, 0 AS ord, prog::bigint AS seq, 'immediate' AS kind, 'posted' AS status, amount,
                         'scale:deposit:' || prog || ':' || quarter AS key, 'program' AS source_kind, prog::text AS source_id,
                         NULL::int AS debit, NULL::int AS credit, NULL::int AS clearing, 0::bigint AS posted, 0::bigint AS released,
                         (SELECT id FROM ledger_accounts WHERE code = 'cash:platform') AS leg_debit, budget AS leg_credit
                  FROM (SELECT prog, quarter, min(at) AS at, min(budget) AS budget, sum(amount)::bigint + 1000000 AS amount
                        FROM scale_grants GROUP BY prog, quarter) d
                  UNION ALL
                  SELECT at, 1, w, 'immediate', 'posted', amount, 'scale:grant:' || w || ':' || quarter, 'grant', w || '-' || quarter,
                         NULL, NULL, NULL, 0, 0, budget, wallet FROM scale_grants
                  UNION ALL
                  SELECT at, 2, 2 * h, 'reserve', outcome, amount,
                         'scale:hold:' || h, 'job', job, wallet, payable, clearing,
                         CASE outcome WHEN 'posted' THEN amount ELSE 0 END, CASE outcome WHEN 'voided' THEN amount ELSE 0 END,
                         wallet, clearing FROM scale_holds
                  UNION ALL
                  SELECT settle_at, 2, 2 * h + 1, CASE outcome WHEN 'posted' THEN 'post' ELSE 'void' END, 'posted', amount,
                         'scale:' || CASE outcome WHEN 'posted' THEN 'post' ELSE 'void' END || ':' || h, 'job', job,
                         NULL, NULL, NULL, 0, 0, clearing, CASE outcome WHEN 'posted' THEN payable ELSE wallet END
                  FROM scale_holds WHERE outcome <> 'pending') m""",
        f"""INSERT INTO ledger_transfers (id, idempotency_key, request_hash, kind, status, amount_fen, currency, memo,
                                          source_kind, source_id, period, effective_at, parent_id, debit_account_id,
                                          credit_account_id, clearing_account_id, posted_fen, released_fen, sealed, created_at)
            SELECT n.id, n.key, encode(sha256(convert_to(n.key, 'UTF8')), 'hex'), n.kind, n.status, n.amount, 'CNY', '',
                   n.source_kind, n.source_id, {CST_MONTH.format('n.at')}, n.at, r.id, n.debit, n.credit, n.clearing,
                   n.posted, n.released, true, n.at
            FROM scale_numbered n
            LEFT JOIN (SELECT seq, id FROM scale_numbered WHERE kind = 'reserve') r
                   ON n.kind IN ('post', 'void') AND r.seq = n.seq - 1""",
        """SELECT setval(pg_get_serial_sequence('ledger_transfers', 'id'), (SELECT max(id) FROM ledger_transfers))""",
        """INSERT INTO ledger_legs (transfer_id, account_id, amount_fen)
           SELECT n.id, x.account_id, x.amount FROM scale_numbered n
           CROSS JOIN LATERAL (VALUES (n.leg_debit, n.amount), (n.leg_credit, -n.amount)) x(account_id, amount)""",
        """UPDATE ledger_accounts a SET balance_fen = s.total
           FROM (SELECT account_id, sum(amount_fen) AS total FROM ledger_legs GROUP BY account_id) s
           WHERE a.id = s.account_id""",
    ]


def _document_statements(n: dict[str, int]) -> list[str]:
    """Invoices that add up: one per organisation and month with usage, then supplementary ones (sequence
    2) up to the count, each with one charge (a usage record of that organisation and month, priced,
    30 % subsidised) and its line, so `check_documents` holds; a year's every charge is not loaded (no
    list reads them)."""
    month = CST_MONTH.format("ended_at")
    return [
        f"""CREATE TEMP TABLE scale_charged ON COMMIT DROP AS
            SELECT * FROM (SELECT u.*, row_number() OVER (PARTITION BY organisation_id, month ORDER BY id) AS sequence
                           FROM (SELECT u.*, {month} AS month FROM usage_records u) u) d
            WHERE sequence <= 2 ORDER BY sequence, month, organisation_id LIMIT {n['invoices']}""",
        """INSERT INTO ledger_charges (usage_record_id, job_id, organisation_id, provider_account_id, pool_id, month,
                                       device_seconds, price_fen_per_device_hour, list_price_fen, subsidy_fen,
                                       amount_due_fen, fee_fen, from_reserve_fen, subsidy_reasons, created_at)
           SELECT u.id, u.job_id, u.organisation_id, pay.id, u.pool_id, u.month, u.device_seconds,
                  p.price_fen_per_device_hour, u.charge_fen, u.charge_fen * 3 / 10, u.charge_fen - u.charge_fen * 3 / 10,
                  0, 0, '', u.ended_at
           FROM scale_charged u JOIN pools p ON p.id = u.pool_id JOIN centers c ON c.id = p.center_id
           JOIN ledger_accounts pay ON pay.code = 'provider_payable:' || CASE WHEN c.provider_organisation_id IS NULL
                THEN 'center:' || c.id ELSE 'organisation:' || c.provider_organisation_id END
           ORDER BY u.sequence, u.month, u.organisation_id""",
        # the database is empty before the loader: an invoice takes its charge's id
        """INSERT INTO invoices (id, number, organisation_id, month, list_price_fen, subsidy_fen, amount_due_fen, sequence,
                                 created_at)
           SELECT id, 'INV' || replace(month, '-', '') || '-' || lpad((row_number() OVER (PARTITION BY month ORDER BY id))::text, 6, '0'),
                  organisation_id, month, list_price_fen, subsidy_fen, amount_due_fen,
                  row_number() OVER (PARTITION BY organisation_id, month ORDER BY id), created_at
           FROM ledger_charges ORDER BY id""",
        """SELECT setval(pg_get_serial_sequence('invoices', 'id'), (SELECT max(id) FROM invoices))""",
        "UPDATE ledger_charges SET invoice_id = id",
        """INSERT INTO invoice_lines (invoice_id, charge_id, description, device_seconds, price_fen_per_device_hour,
                                      list_price_fen, subsidy_fen, amount_due_fen, created_at)
           SELECT id, id, 'job ' || job_id || ', pool ' || pool_id, device_seconds, price_fen_per_device_hour,
                  list_price_fen, subsidy_fen, amount_due_fen, created_at FROM ledger_charges ORDER BY id""",
    ]


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


def _account_id(url: str, code: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = int(conn.execute(text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": code}).scalar_one())
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
    hot = _account_id(url, HOT_WALLET)
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
                "ledger transfers (finance, all)": ("/api/v1/ledger/transfers?limit=50", auth["scale-finance"], 100_000),
                "ledger transfers (finance, hot wallet)": (f"/api/v1/ledger/transfers?limit=50&account_id={hot}",
                                                           auth["scale-finance"], 100_000),
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
