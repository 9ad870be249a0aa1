"""`suanli`: the root command. Core commands live here; every other module in `suanli.cli` that
defines `app` (mounted as its `NAME`) or `COMMANDS` (top-level) is added automatically."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Annotated

import typer

from suanli import cli as cli_package
from suanli.cli import jobs as jobs_cli
from suanli.cli.common import console, database_session, fail, print_json
from suanli.config import load_settings
from suanli.db.engine import engine_from_settings, make_engine
from suanli.db.migrate import upgrade
from suanli.domain.errors import SuanliError

app = typer.Typer(help="Suanli 算力: regional compute-power platform with compute vouchers (算力券).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo federation, organisations and accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
CORE_MODULES = {"main", "common", "jobs"}


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations to SUANLI_DATABASE_URL (default sqlite:///var/suanli.db)."""
    settings = load_settings()
    engine = make_engine(settings.url)
    try:
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        fail(f"migration failed: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    console.print("database is at the newest revision")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo into an empty, migrated database and print the demo accounts once."""
    from suanli.services.demo import load_demo

    with database_session() as session:
        created = load_demo(session)
    print_accounts(created)


@demo_app.command("accounts")
def demo_accounts(as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False) -> None:
    """The demo accounts with their passwords (demo databases only)."""
    from suanli.services.demo import demo_accounts as read_accounts

    with database_session() as session:
        found = read_accounts(session)
    if as_json:
        print_json(found)
    else:
        print_accounts(found)


def print_accounts(found: list[dict[str, str]]) -> None:
    from rich.table import Table

    table = Table(title="演示账号 Demo accounts")
    for column in ("username", "password", "role", "organisation"):
        table.add_column(column)
    for a in found:
        table.add_row(a["username"], a["password"], a["role"], a["organisation"])
    console.print(table)


@app.command()
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="migrate and load the demo on first start")] = False,
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    no_workers: Annotated[bool, typer.Option("--no-workers", help="serve only; run `suanli worker` apart")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="API processes (uvicorn workers) sharing the port")] = 1,
) -> None:
    """Run the API and web UI (and the scheduler/metering workers in the same process)."""
    import os

    import uvicorn

    from suanli.api.app import create_app

    settings = load_settings()
    if demo:
        _prepare_demo(settings.url)
    console.print(f"Suanli 算力 serving on http://{host}:{port}  (API docs: /docs, UI: /)")
    if workers > 1:
        # Each process builds its own app (and engine, pool and admission limit) from the environment;
        # with in-process workers every process runs one loop (they share the work: docs/operations-load.md).
        # A child answers the supervisor's health pings only once imported: on a busy host that takes
        # longer than uvicorn's 5 s default, and a child killed for it would be spawned again forever.
        os.environ[SERVE_WORKERS_ENV] = "0" if no_workers else "1"
        uvicorn.run("suanli.api.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", timeout_worker_healthcheck=120)
        return
    application = create_app(settings, run_workers=not no_workers)
    uvicorn.run(application, host=host, port=port, log_level="warning")


SERVE_WORKERS_ENV = "SUANLI_SERVE_RUN_WORKERS"  # read by suanli.api.app.app_from_environment


def _prepare_demo(url: str) -> None:
    from suanli.services.demo import is_demo, load_demo

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with database_session() as session:
        if is_demo(session):
            console.print("demo database already loaded; `suanli demo accounts` shows the accounts")
            return
        created = load_demo(session)
    print_accounts(created)


@app.command()
def worker(interval: Annotated[float, typer.Option(help="seconds between ticks")] = 0.5) -> None:
    """Run the scheduler/metering worker alone (several may run at once on PostgreSQL)."""
    from suanli.db.uow import session_factory
    from suanli.services.backends import BackendCache
    from suanli.workers.loop import Worker

    settings = load_settings()
    engine = engine_from_settings(settings)
    loop = Worker(session_factory(engine), BackendCache(settings.data_dir), interval)
    console.print("worker running; Ctrl-C stops it")
    try:
        loop.run_until_stopped()
    except KeyboardInterrupt:
        pass


def _mount_discovered() -> None:
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda i: i.name):
        if info.name in CORE_MODULES:
            continue
        module = importlib.import_module(f"{cli_package.__name__}.{info.name}")
        if isinstance(getattr(module, "app", None), typer.Typer):
            app.add_typer(module.app, name=getattr(module, "NAME", info.name))
        for command in getattr(module, "COMMANDS", []):
            app.command()(command)


jobs_cli.mount(app)
_mount_discovered()


def main() -> None:
    try:
        app()
    except SuanliError as exc:
        fail(exc.detail)
    except KeyboardInterrupt:
        sys.exit(130)
