"""Database dump and load for `suanli admin backup/restore`: SQLite through its online backup API
(a consistent copy while the service runs), PostgreSQL through `pg_dump`/`pg_restore` in custom
format. Only this module knows how each dialect is copied; `services/backup.py` builds the archive."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from suanli.db.engine import make_engine, normalise_url
from suanli.domain.errors import Conflict, InvalidInput


def dialect(url: str) -> str:
    name = make_url(normalise_url(url)).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise InvalidInput(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidInput(f"{name} is not installed (apt install postgresql-client)")
    return found


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise Conflict(f"{Path(argv[0]).name} failed: {message[0] if message else done.returncode}")


def dump(url: str, out: Path) -> None:
    """Write a consistent copy of the database at `url` to the file `out`."""
    if dialect(url) == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise InvalidInput(f"no SQLite database at {source_path}")
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}",
              f"--dbname={_libpq_url(url)}"])


def is_empty(url: str) -> bool:
    """True when the database holds no tables (a fresh one restore may write into)."""
    if dialect(url) == "sqlite" and not _sqlite_path(url).exists():
        return True
    engine = make_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def load(url: str, dump_file: Path, *, dump_dialect: str) -> None:
    """Replace the database at `url` by the dump (the services using it must be stopped)."""
    if dialect(url) != dump_dialect:
        raise InvalidInput(f"this backup holds a {dump_dialect} database; SUANLI_DATABASE_URL is {dialect(url)}")
    if dump_dialect == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(dump_file)
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean", "--if-exists", "--exit-on-error",
              "--single-transaction", f"--dbname={_libpq_url(url)}", str(dump_file)])
