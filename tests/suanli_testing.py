"""Helpers shared by the test suites (importable because pytest puts tests/ on sys.path for its
rootdir conftest): a throwaway migrated PostgreSQL database, the small federation, the password."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import upgrade
from suanli.db.models import Base
from suanli.db.models.audit import AuditEvent, AuditOutbox

PASSWORD = "correct-horse-42"
SMALL_FEDERATION = """
centers:
  - name: local
    name_zh: 本机
    kind: local
    city: 成都
    backend: {kind: local}
    pools:
      - {name: cpu, model: CPU, nodes: 1, devices_per_node: 2, cpus_per_node: 2, memory_gb_per_node: 8, price_fen_per_device_hour: 36}
  - name: gpu-cloud
    name_zh: GPU云
    kind: cloud
    city: 成都
    backend: {kind: local}
    pools:
      - {name: a800, model: A800, nodes: 2, devices_per_node: 8, price_fen_per_device_hour: 1800}
"""


@contextmanager
def migrated_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database migrated to the newest revision; dropped (forcibly) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def empty_postgres(engine: Engine) -> None:
    """Every table empty and every table's id sequence back at its start, as `TRUNCATE <all tables>
    RESTART IDENTITY CASCADE` leaves them. That TRUNCATE costs a quarter of a second after each of the
    suite's PostgreSQL tests even on empty tables; deleting the rows of the few tables a test wrote to,
    with triggers (the ledger's append-only guard, foreign keys) off for the transaction as a
    superuser may, and restarting the sequences it drew from, costs a few milliseconds."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if conn.execute(text("SELECT current_setting('is_superuser')")).scalar() != "on":
            conn.execute(text(f"TRUNCATE {', '.join(map(_quoted, tables))} RESTART IDENTITY CASCADE"))
            return
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        written = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {_quoted(t)})" for t in tables)
        for table in conn.execute(text(written)).scalars().all():
            conn.execute(text(f"DELETE FROM {_quoted(table)}"))
        for sequence in conn.execute(DRAWN_SEQUENCES, {"tables": tables}).scalars().all():
            conn.execute(text(f"ALTER SEQUENCE {_quoted(sequence)} RESTART"))  # a rolled-back insert draws too


def _quoted(name: str) -> str:
    return f'"{name}"'


# The sequences owned by these tables' columns that were drawn from since they were created or restarted.
DRAWN_SEQUENCES = text(
    "SELECT q.sequencename FROM pg_sequences q WHERE q.schemaname = current_schema() AND q.last_value IS NOT NULL "
    "AND EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid "
    "WHERE d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND t.relname = ANY(:tables) "
    "AND d.objid = format('%I.%I', q.schemaname, q.sequencename)::regclass)")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: object, lifespan: str = "off") -> Iterator[str]:
    """The ASGI app served by a real uvicorn on 127.0.0.1 (a free port) in a thread; yields its URL.
    `lifespan="off"` when a TestClient already ran the app's start-up (the `api` fixture);
    `"on"` to start its workers too."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",  # type: ignore[arg-type]
                                           lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def events_logged_or_waiting(session: Session) -> int:
    """Audit events in the log or still in the outbox, counted in one statement: one snapshot, so the
    sequencer moving an event from the outbox into the log between two reads cannot hide it (two
    separate counts raced it on PostgreSQL)."""
    count = [select(func.count()).select_from(t).scalar_subquery() for t in (AuditEvent, AuditOutbox)]
    return int(session.scalar(select(count[0] + count[1])) or 0)


def hidden(html: str, name: str) -> str:
    """The value of a form's hidden input `name` (the CSRF token, say) in a page."""
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


def sign_in_web(client: Any, username: str) -> None:
    """Sign `username` in through the web form (its CSRF token read off the page), as a person would."""
    page = client.get("/signin")
    response = client.post("/signin", data={"csrf_token": hidden(page.text, "csrf_token"), "username": username,
                                            "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
