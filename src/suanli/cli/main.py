"""`suanli`: the root command. Core commands live here; every other module in `suanli.cli` that
defines `app` (mounted as its `NAME`) or `COMMANDS` (top-level) is added automatically.

Exit codes for every command: 0 done, 1 refused (the API's problem, or a check that failed), 2 a
usage error (a bad flag or value), 130 interrupted. An unexpected error is one line too, never a
traceback unless SUANLI_DEBUG=1.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from suanli import cli as cli_package
from suanli.cli import client
from suanli.cli import jobs as jobs_cli
from suanli.cli.common import LOCAL_ADMIN, REFUSED, Column, JsonFlag, Output, chosen, console, emit, fail
from suanli.config import load_settings
from suanli.domain.errors import SuanliError

CORE_MODULES = {"main", "common", "jobs", "client", "local"}


class SuanliGroup(TyperGroup):
    """The root group: whatever a command raises ends as one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SuanliError as exc:
            fail(f"{exc.detail} [{exc.slug}]")
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:  # `suanli jobs | head`: the reader left; so do we, quietly
            _silence_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:
            # Typer's own signals (exit, abort, usage errors: exit 2) pass through; Typer vendors its
            # click, so they are known by where they come from rather than by one base class.
            if os.environ.get("SUANLI_DEBUG") or type(exc).__module__.startswith(("typer", "click")):
                raise
            fail(f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'} "
                 "(run again with SUANLI_DEBUG=1 for the traceback)", REFUSED)


def _silence_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


app = typer.Typer(cls=SuanliGroup, help="Suanli 算力: regional compute-power platform with compute vouchers (算力券).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database administration (local admin commands).", no_args_is_help=True)
demo_app = typer.Typer(help="The demo federation, organisations and accounts (local admin commands).",
                       no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"suanli {version('suanli')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("suanli (not installed)")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
    url: Annotated[str | None, typer.Option("--url", envvar="SUANLI_URL", show_envvar=True,
                                            help="the server's address (default: where you signed in)")] = None,
) -> None:
    """Suanli 算力: regional compute-power platform with compute vouchers (算力券).

    User commands talk to the server's API with the token saved by `suanli login`; local admin
    commands (db, demo, worker, serve, audit init/export/checkpoint, ledger check) use the database
    on this host."""
    client.choose_url(url)


@db_app.command("upgrade", help=f"Apply migrations to SUANLI_DATABASE_URL (default sqlite:///var/suanli.db). "
                                f"{LOCAL_ADMIN}")
def db_upgrade() -> None:
    from suanli.cli.local import migrate

    migrate()
    console.print("database is at the newest revision")


@demo_app.command("load", help=f"Load the demo into an empty, migrated database and print the demo accounts "
                               f"once. {LOCAL_ADMIN}")
def demo_load() -> None:
    from suanli.cli.local import database_session
    from suanli.services.demo import load_demo

    with database_session() as session:
        created = load_demo(session, load_settings().data_dir)
    print_accounts(created)


@demo_app.command("accounts", help=f"The demo accounts with their passwords (demo databases only). {LOCAL_ADMIN}")
def demo_accounts(output: Output = None, as_json: JsonFlag = False) -> None:
    from suanli.cli.local import database_session
    from suanli.services.demo import demo_accounts as read_accounts

    with database_session() as session:
        found = read_accounts(session)
    emit(found, ACCOUNT_COLUMNS, chosen(output, as_json), "演示账号 Demo accounts")


ACCOUNT_COLUMNS = [Column(c, c) for c in ("username", "password", "role", "organisation")]


def print_accounts(found: list[dict[str, str]]) -> None:
    from rich.table import Table

    table = Table(title="演示账号 Demo accounts")
    for column in ("username", "password", "role", "organisation"):
        table.add_column(column)
    for a in found:
        table.add_row(a["username"], a["password"], a["role"], a["organisation"])
    console.print(table)


@app.command(help="Run the API and web UI (and the scheduler/metering workers in the same process) on the "
                  f"database of this host; `suanli login --url http://HOST:PORT` reaches it. {LOCAL_ADMIN}")
def serve(
    demo: Annotated[bool, typer.Option("--demo", help="migrate and load the demo on first start")] = False,
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    no_workers: Annotated[bool, typer.Option("--no-workers", help="serve only; run `suanli worker` apart")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="API processes (uvicorn workers) sharing the port")] = 1,
) -> None:
    import uvicorn

    from suanli.api.app import create_app, for_serving

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
                    log_level="warning", timeout_worker_healthcheck=120, timeout_keep_alive=KEEP_ALIVE_S)
        return
    application = for_serving(create_app(settings, run_workers=not no_workers))
    uvicorn.run(application, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S)


# An idle keep-alive connection stays open this long (uvicorn's default is 5 s, nginx's 75 s): a busy
# client whose next request comes after a few seconds must not find its connection closed under it
# and get no answer at all (a reset instead of a 503 it could retry).
KEEP_ALIVE_S = 75


SERVE_WORKERS_ENV = "SUANLI_SERVE_RUN_WORKERS"  # read by suanli.api.app.app_from_environment


def _prepare_demo(url: str) -> None:
    from suanli.cli.local import database_session, migrate
    from suanli.services.demo import is_demo, load_demo

    migrate(url)
    with database_session() as session:
        if is_demo(session):
            console.print("demo database already loaded; `suanli demo accounts` shows the accounts")
            return
        created = load_demo(session, load_settings().data_dir)
    print_accounts(created)


@app.command(help=f"Run the scheduler/metering worker alone (several may run at once on PostgreSQL). {LOCAL_ADMIN}")
def worker(interval: Annotated[float, typer.Option(help="seconds between ticks")] = 0.5) -> None:
    from suanli.cli.local import sessions
    from suanli.logs import configure_from
    from suanli.metrics import build_registry, serve_worker_metrics
    from suanli.services.backends import BackendCache
    from suanli.workers.loop import Worker

    settings = load_settings()
    configure_from(settings)
    with sessions() as factory:
        loop = Worker(factory, BackendCache(settings.data_dir), interval, settings=settings)
        stop_metrics = None
        if settings.worker_metrics_port:
            try:
                stop_metrics = serve_worker_metrics(build_registry(factory), settings.worker_metrics_host,
                                                    settings.worker_metrics_port)
            except OSError as err:
                fail(f"cannot serve worker metrics on {settings.worker_metrics_host}:"
                     f"{settings.worker_metrics_port}: {err}")
            console.print(f"worker metrics on http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics")
        console.print("worker running; Ctrl-C stops it")
        try:
            loop.run_until_stopped()
        except KeyboardInterrupt:
            pass
        finally:
            if stop_metrics is not None:
                stop_metrics()


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
    """The `suanli` program: Typer's usage errors (a bad flag, a value of the wrong type, a missing
    argument) become one line with the command's --help to read, exit 2 -- not Typer's box."""
    try:
        result = app(standalone_mode=False)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if not type(exc).__module__.startswith(("typer", "click")):
            raise
        format_message = getattr(exc, "format_message", None)
        if format_message is None:  # Abort (Ctrl-D at a prompt)
            sys.exit(130)
        code = int(getattr(exc, "exit_code", 2))
        if not format_message():  # no arguments: the help was the answer
            sys.exit(code)
        context = getattr(exc, "ctx", None)
        hint = f" (see: {context.command_path} --help)" if context is not None else ""
        try:
            fail(f"{format_message()}{hint}", code)
        except typer.Exit as done:
            sys.exit(done.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
