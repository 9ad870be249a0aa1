"""A real server and a real browser for the web UI tests.

One uvicorn server (in a thread, on a free 127.0.0.1 port, workers running so jobs really run on the
local backend) over a demo-loaded SQLite database in a temp dir, with one voucher program already
open; one Debian Chromium driven by Playwright. Browser tests skip with a reason when `chromium` is
missing, unless CI is set (then they fail). Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from webui import CHROMIUM_ARGS, Server, free_port, program_text

from suanli.config import Settings
from suanli.db.engine import make_engine
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory, unit_of_work

expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (scripts/ci-install-browser.sh installs it)")
        pytest.skip("chromium is not installed here (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Server]:
    yield from _start(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[object]:
    """A fresh browser context (no cookies) per test."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},  # type: ignore[attr-defined]
                                  accept_downloads=True)
    # Generous: the CI machine is shared, and Plotly / Swagger UI are megabytes of script to parse.
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def _start(tmp: Path) -> Iterator[Server]:
    import uvicorn

    from suanli.api.app import create_app
    from suanli.db.repositories.organisations import user_by_username
    from suanli.services import accounts, vouchers
    from suanli.services.demo import load_demo

    url = f"sqlite:///{tmp}/web.db"
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as s:
        passwords = {a["username"]: a["password"] for a in load_demo(s, tmp / "data")}
    with unit_of_work(sessions) as s:
        officer = accounts.principal_of(user_by_username(s, "officer"))  # type: ignore[arg-type]
        row = vouchers.load_program(s, text=program_text("chengdu-web-2026", "成都市算力券（2026年度）",
                                                         "Chengdu compute vouchers 2026"), actor=officer)
        vouchers.set_window(s, program_id=row.id, open=True, actor=officer)
    engine.dispose()
    settings = Settings(database_url=url, data_dir=tmp / "data", worker_interval_s=0.2)  # type: ignore[arg-type]
    app = create_app(settings, run_workers=True)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Server(f"http://127.0.0.1:{port}", passwords, app.state.sessions, settings.data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
