"""`suanli admin backup` → wipe → `suanli admin restore` → verify, on SQLite and PostgreSQL, through the
real commands (subprocesses), real pg_dump/pg_restore and the real SQLite backup API."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from suanli.db.blobs import BlobStore
from suanli.db.engine import make_engine
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.services import audit, ledger
from suanli_testing import migrated_postgres_database

PASSPHRASE = "correct horse battery staple"
EVIDENCE = "%PDF 第三方算力规模核验报告".encode()
SRC = Path(__file__).resolve().parents[3] / "src"


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "suanli", *args], env=env, capture_output=True,
                          text=True, timeout=240, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"suanli {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}")
    return done


def seed(url: str, data_dir: Path) -> None:
    """A little money and a little audit history, through the services."""
    os.environ["SUANLI_DATA_DIR"] = str(data_dir)
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            cash = ledger.open_account(session, purpose=AccountPurpose.CASH, owner_kind=OwnerKind.PLATFORM,
                                       owner_id=None).id
            budget = ledger.open_account(session, purpose=AccountPurpose.PROGRAM_BUDGET,
                                         owner_kind=OwnerKind.PROGRAM, owner_id=1).id
            for n in range(5):
                ledger.transfer(session, idempotency_key=f"deposit-{n}", legs=[debit(cash, 1000 + n), credit(budget, 1000 + n)],
                                source_kind="manual", source_id=str(n))
            audit.record_event(session, kind="test.backup", subject="seed", payload={"n": 1})
        with unit_of_work(session_factory(engine)) as session:
            audit.sign_head(session, signer=audit.init_signer(data_dir))
        BlobStore(data_dir).put(EVIDENCE)  # an uploaded evidence file (content-addressed)
    finally:
        engine.dispose()
        os.environ.pop("SUANLI_DATA_DIR", None)


def balances(url: str) -> list[tuple[str, int]]:
    """Every ledger account's cached balance, read in this process (the `ledger` CLI goes through the API)."""
    engine = make_engine(url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            return sorted((a.code, int(a.balance_fen)) for a in ledger.list_accounts(session))
    finally:
        engine.dispose()


def environment(url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUANLI_")}
    env.update(PYTHONPATH=f"{SRC}{os.pathsep}{env.get('PYTHONPATH', '')}", SUANLI_DATABASE_URL=url,
               SUANLI_DATA_DIR=str(data_dir), SUANLI_BACKUP_PASSPHRASE=PASSPHRASE)
    return env


def round_trip(url: str, tmp_path: Path, wipe: object) -> None:
    data_dir = tmp_path / "var"
    seed(url, data_dir)
    env = environment(url, data_dir)
    run(env, "audit", "init")  # writes the public key beside the signing key
    public_key = tmp_path / "public.pem"
    public_key.write_bytes((data_dir / "audit-public-key.pem").read_bytes())
    before = balances(url)
    assert before and any(balance for _, balance in before)

    backup = tmp_path / "site.backup"
    out = run(env, "admin", "backup", "--out", str(backup)).stdout
    assert "audit_signing_key" in out and "web_secret" not in out  # no web secret was ever created here
    assert backup.stat().st_mode & 0o077 == 0
    assert b"test.backup" not in backup.read_bytes()  # encrypted, not just packed

    wipe()  # type: ignore[operator]
    for secret in data_dir.iterdir():
        shutil.rmtree(secret) if secret.is_dir() else secret.unlink()

    wrong = run({**env, "SUANLI_BACKUP_PASSPHRASE": "not the passphrase!"}, "admin", "restore", str(backup), check=False)
    assert wrong.returncode != 0 and "passphrase" in wrong.stderr

    run(env, "admin", "restore", str(backup))
    assert (data_dir / "audit-signing-key.pem").stat().st_mode & 0o077 == 0
    assert BlobStore(data_dir).get(hashlib.sha256(EVIDENCE).hexdigest()) == EVIDENCE  # the evidence came back
    verified = run(env, "admin", "verify")
    assert "audit log: OK" in verified.stdout and "ledger consistent" in verified.stdout
    assert balances(url) == before

    export = tmp_path / "log.jsonl"
    run(env, "audit", "export", "--out", str(export))
    assert run(env, "audit", "verify", str(export), "--pubkey", str(public_key)).returncode == 0

    again = run(env, "admin", "restore", str(backup), check=False)
    assert again.returncode != 0 and "--force" in again.stderr
    run(env, "admin", "restore", str(backup), "--force")
    assert "audit log: OK" in run(env, "admin", "verify").stdout


# Each step is a real `suanli` process (a dozen per test): on a loaded machine that outlasts the default 300 s.
SLOW = pytest.mark.timeout(1200)


@SLOW
def test_sqlite_backup_wipe_restore_verify(tmp_path: Path) -> None:
    path = tmp_path / "suanli.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()

    def wipe() -> None:
        for p in tmp_path.glob("suanli.db*"):
            p.unlink()

    round_trip(url, tmp_path, wipe)


@SLOW
@pytest.mark.postgres
def test_postgres_backup_wipe_restore_verify(tmp_path: Path) -> None:
    admin = os.environ.get("SUANLI_TEST_POSTGRES_URL")
    if not admin:
        pytest.skip("PostgreSQL tests need SUANLI_TEST_POSTGRES_URL (set by .ci/run)")
    with migrated_postgres_database(admin, "suanli_backup") as url:
        def wipe() -> None:
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()

        round_trip(url, tmp_path, wipe)


@SLOW
def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "suanli.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = environment(url, tmp_path / "var")
    backup = tmp_path / "b"
    run(env, "admin", "backup", "--out", str(backup))
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))
    path.unlink()
    done = run(env, "admin", "restore", str(backup), check=False)
    assert done.returncode != 0 and "altered" in done.stderr
    truncated = tmp_path / "t"
    truncated.write_bytes(bytes(data[: len(data) - 10]))
    assert run(env, "admin", "restore", str(truncated), check=False).returncode != 0


@SLOW
def test_an_audit_export_is_reimported_into_an_empty_database_and_verifies(tmp_path: Path) -> None:
    source, target = tmp_path / "old.db", tmp_path / "new.db"
    for path in (source, target):
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
    data_dir = tmp_path / "var"
    seed(f"sqlite:///{source}", data_dir)
    old = environment(f"sqlite:///{source}", data_dir)
    run(old, "audit", "init")
    export = tmp_path / "log.jsonl"
    run(old, "audit", "export", "--out", str(export))
    public_key = data_dir / "audit-public-key.pem"

    new = environment(f"sqlite:///{target}", data_dir)  # the same signing key, carried over
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(export.read_text().replace('"n":1', '"n":2'))
    refused = run(new, "admin", "import-audit", str(tampered), "--pubkey", str(public_key), check=False)
    assert refused.returncode != 0 and "does not verify" in refused.stderr
    out = run(new, "admin", "import-audit", str(export), "--pubkey", str(public_key)).stdout
    assert "imported" in out
    assert "audit log: OK" in run(new, "admin", "verify").stdout
    again = run(new, "admin", "import-audit", str(export), "--pubkey", str(public_key), check=False)
    assert again.returncode != 0 and "empty log" in again.stderr
    # the imported log goes on: a new event appends after the old ones and everything still verifies
    seed_more = make_engine(f"sqlite:///{target}")
    with unit_of_work(session_factory(seed_more)) as session:
        pending = audit.record_event(session, kind="test.after_import", subject="x", payload={})
        recorded = next(e for e in audit.catch_up(session) if e.outbox_id == pending.outbox_id)
    seed_more.dispose()
    assert recorded.seq == sum(1 for line in export.read_text().splitlines() if '"record":"event"' in line)
    reexport = tmp_path / "again.jsonl"
    run(new, "audit", "export", "--out", str(reexport))
    assert run(new, "audit", "verify", str(reexport), "--pubkey", str(public_key)).returncode == 0
