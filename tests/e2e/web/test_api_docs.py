"""`/docs` works air-gapped: Swagger UI comes from the installed `swagger-ui-py` package, the CSP
allows this origin only, and no request the page makes leaves the machine."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot

pytestmark = pytest.mark.browser


def test_the_api_docs_render_with_no_request_leaving_the_machine(page: Page, server: Server) -> None:
    requests: list[str] = []
    refused: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto("/docs")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "http" not in csp
    expect(page.locator("#swagger-ui[data-ready='1']")).to_be_attached(timeout=30_000)
    assert page.locator(".opblock").count() > 0, (console, page.locator("#swagger-ui").inner_text()[:1500])
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/auth/login").first).to_be_visible()
    shot(page, "api-docs")
    outside = [u for u in requests if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == [], f"requests left the machine: {outside}"
    assert any(u.endswith("/vendor/swagger-ui/swagger-ui-bundle.js") for u in requests)
    assert refused == []
    assert page.goto("/redoc") is not None and page.url.endswith("/docs")
