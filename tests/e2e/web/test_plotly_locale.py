"""Chart dates in the reader's language (Chromium): on the Chinese dashboard the daily utilisation
chart's date ticks use Chinese month names from the locale this server serves itself (no request
leaves the machine); the English page keeps English months."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server

pytestmark = pytest.mark.browser
ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


def _date_ticks(page: Page) -> list[str]:
    figure = page.locator("[data-figure][data-rendered='1']").filter(has=page.locator(".xtick")).first
    expect(figure).to_be_visible()
    texts = []
    for chart in page.locator("[data-figure][data-rendered='1']").all():
        ticks = chart.locator(".xtick text").all_text_contents()
        if any(re.search(r"\d{4}|月|" + ENGLISH_MONTHS.pattern, t) for t in ticks):
            texts += ticks
    return texts


def test_the_chinese_dashboard_draws_dates_with_chinese_months_from_a_local_locale(page: Page, server: Server) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto("/dashboard?lang=zh_CN")
    ticks = _date_ticks(page)
    assert ticks, "no date axis drawn"
    assert not [t for t in ticks if ENGLISH_MONTHS.search(t)], ticks
    assert any("月" in t for t in ticks), ticks
    assert any(u.endswith("/static/plotly-locale-zh-cn.js") for u in requests)
    assert all(u.startswith((server.url, "data:")) for u in requests), requests

    page.goto("/dashboard?lang=en")
    ticks = _date_ticks(page)
    assert any(ENGLISH_MONTHS.search(t) for t in ticks), ticks
