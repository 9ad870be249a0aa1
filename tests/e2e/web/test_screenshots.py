"""`make screenshots`: every page of every role's menu (and a job, a program and a receipt), in zh and
en, at 390 px and 1366 px, as full-page PNGs in `$SUANLI_SCREENSHOTS` (var/screenshots/). Skipped
unless that variable is set; `SUANLI_SCREENSHOT_ROLES=officer,finance` narrows the roles.

Each page is also checked for horizontal overflow: at 390 px nothing may be wider than the screen."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from webui import Server, sign_in

pytestmark = pytest.mark.browser

OUT = os.environ.get("SUANLI_SCREENSHOTS")
INBOX = ["/notifications", "/notifications/settings"]
ROLES = {"zhixing-admin": ["/jobs/1", "/applications/1", *INBOX], "uestc-student": [*INBOX],
         "officer": ["/programs/1", "/applications/1", "/applications/7", "/awards/applications", *INBOX],
         "yilian-admin": ["/applications/7"],  # the demo's application parked for documents (需补充材料) "finance": [*INBOX], "nscc": [*INBOX],
         "operator": [*INBOX], "auditor": ["/audit/receipt/1", *INBOX]}
WIDTHS = (390, 1366)
only = {r for r in os.environ.get("SUANLI_SCREENSHOT_ROLES", "").split(",") if r}


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"


@pytest.mark.skipif(not OUT, reason="make screenshots sets SUANLI_SCREENSHOTS")
@pytest.mark.parametrize("username", [u for u in ROLES if not only or u in only])
def test_screenshots_of_every_page(browser: Browser, server: Server, username: str) -> None:
    out = Path(str(OUT))
    out.mkdir(parents=True, exist_ok=True)
    too_wide: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
        context.set_default_timeout(60_000)
        page = context.new_page()
        sign_in(page, server, username)
        hrefs = [a.get_attribute("href") or "" for a in page.locator("header nav a").all()]
        for path in [*hrefs, *ROLES[username]]:
            for lang in ("zh_CN", "en"):
                page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
                page.wait_for_load_state("load")
                page.wait_for_timeout(300)
                page.screenshot(path=str(out / f"{username}-{_slug(path)}-{lang}-{width}.png"), full_page=True)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width + 1:
                    too_wide.append(f"{path} {lang} {width}px: {scroll}px wide")
        context.close()
    signed_out = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 900}).new_page()
    for path in ("/signin", "/dashboard", "/docs"):
        signed_out.goto(path)
        signed_out.wait_for_load_state("load")
        signed_out.screenshot(path=str(out / f"anonymous-{_slug(path)}-zh_CN-390.png"), full_page=True)
    assert too_wide == [], too_wide
