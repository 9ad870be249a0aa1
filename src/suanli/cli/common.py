"""What every CLI command shares: one-line errors, a database unit of work, an API client with the
saved token, and the Rich console."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from suanli import bootstrap
from suanli.config import load_settings
from suanli.db.engine import make_engine
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.errors import SuanliError

console = Console()
err_console = Console(stderr=True)
CREDENTIALS = Path(os.environ.get("SUANLI_CREDENTIALS", Path.home() / ".config" / "suanli" / "credentials.json"))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one readable line to stderr and exit non-zero: never a traceback."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def database_session() -> Iterator[Session]:
    """A unit of work on SUANLI_DATABASE_URL: commits when the block succeeds."""
    settings = load_settings()
    bootstrap.wire(settings)
    engine = make_engine(settings.url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            yield session
    except SuanliError as exc:
        fail(exc.detail)
    except OperationalError as exc:
        fail(f"database error: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}")
    finally:
        engine.dispose()


def save_credentials(base_url: str, token: str) -> None:
    CREDENTIALS.parent.mkdir(parents=True, exist_ok=True)
    CREDENTIALS.write_text(json.dumps({"base_url": base_url, "token": token}))
    CREDENTIALS.chmod(0o600)


def api_client() -> httpx.Client:
    """An HTTP client for the server the user signed in to (`suanli login`)."""
    if not CREDENTIALS.exists():
        fail("not signed in: run `suanli login --username U` first")
    saved = json.loads(CREDENTIALS.read_text())
    return httpx.Client(base_url=saved["base_url"], headers={"Authorization": f"Bearer {saved['token']}"}, timeout=30)


def call(method: str, path: str, **kwargs: Any) -> Any:
    """One API call; a problem+json answer becomes one error line."""
    with api_client() as client:
        try:
            response = client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            fail(f"cannot reach the server: {exc}")
    if response.status_code >= 400:
        try:
            body = response.json()
            fail(f"{body.get('detail') or body.get('title')} ({response.status_code})")
        except ValueError:
            fail(f"server answered {response.status_code}")
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
