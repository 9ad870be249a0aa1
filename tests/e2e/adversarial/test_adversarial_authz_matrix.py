"""The authorisation matrix: every route of the app (enumerated from the route table) x every role x
own/other tenant, against the rules in authz_rules.py. A route without a rule fails; a tenant never
reads or writes another tenant's resource: it is "not found" (404, never 403, which would confirm it
exists, and never 2xx with data); 403 only tells a role it lacks a permission; a stranger gets 401."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from adversarial_world import PERSONAS, TENANT_PERSONAS, World
from authz_rules import FRAMEWORK, RULES, WEB, Page, Rule
from fastapi import FastAPI
from starlette.routing import Mount

MATRIX_PERSONAS = ["anonymous", "operator", "admin_a", "member_a", "provider", "officer", "finance", "auditor"]
MISSING_ID = 987_654
PROBLEM = "application/problem+json"


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint, including routers included lazily by newer FastAPI versions."""
    try:
        from fastapi.routing import iter_route_contexts

        contexts: Any = iter_route_contexts(app.routes)
    except ImportError:  # older FastAPI: the flat list is the route table
        contexts = app.routes
    for ctx in contexts:
        route = getattr(ctx, "route", ctx)
        if isinstance(route, Mount):
            continue  # static files: no endpoint of ours
        for method in sorted((getattr(ctx, "methods", None) or route.methods or set()) - {"HEAD"}):
            yield method, getattr(ctx, "path", None) or route.path


def test_every_route_of_the_app_has_an_authorisation_rule(world: World) -> None:
    app = world.client.app
    missing = [r for r in routes(app) if r not in RULES and r not in WEB and r not in FRAMEWORK]
    assert not missing, f"new endpoint without a rule in tests/e2e/adversarial/authz_rules.py: {missing}"


def fill(path: str, w: World, tenant: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(w.ids.get(tenant, {}).get(name, w.globals.get(name, MISSING_ID)))

    return re.sub(r"\{(\w+)\}", value, path)


def tenants_for(persona: str, rule: Rule | Page) -> list[tuple[str, str]]:
    own = PERSONAS[persona][1] if persona in TENANT_PERSONAS else "A"
    return [("own", own), ("other", "B")] if rule.tenant else [("own", own)]


def leaks(persona: str, response: Any, w: World) -> list[str]:
    """Another tenant's data in a tenant's answer: the other tenant's name, or rows of other organisations."""
    if persona not in TENANT_PERSONAS or not response.content or not response.headers.get("content-type", "").startswith("application/json"):
        return []
    own_org = w.orgs[PERSONAS[persona][1]]
    found = ["tenant-b"] if "tenant-b" in response.text else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "organisation_id" in node and node["organisation_id"] not in (own_org, None):
                found.append(f"organisation_id={node['organisation_id']}")
            if node.get("owner_kind") == "organisation" and node.get("owner_id") != own_org:
                found.append(f"owner_id={node['owner_id']}")
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    try:
        walk(response.json())
    except ValueError:
        found.append("application/json answer that is not JSON")
    return found


class Crashed:
    """The answer of a request whose handler raised (the test client re-raises instead of answering 500)."""

    status_code = 500
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, error: BaseException) -> None:
        self.text = f"{type(error).__name__}: {error}"


def send(w: World, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return w.client.request(method, path, **kwargs)
    except Exception as error:  # noqa: BLE001 - a crash is a finding, reported with the others
        return Crashed(error)


def judge(persona: str, role: Any, rule: Rule, side: str, response: Any, w: World, path: str) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}: {response.text[:300]}"
    if status >= 400 and not response.headers.get("content-type", "").startswith(PROBLEM):
        return f"{status} is not problem+json"
    if persona == "anonymous" and "anonymous" not in rule.allow:
        return None if status == 401 else f"stranger got {status}, expected 401"
    if role not in rule.allow and persona != "anonymous":
        return None if status in (403, 404) else f"role {role} not allowed but got {status}"
    if side == "other" and persona in TENANT_PERSONAS:
        return None if status == 404 else f"CROSS-TENANT {status} on {path} (another tenant's object must be 404)"
    if status in (401, 403):
        return f"allowed role {role} refused with {status}: {response.text[:200]}"
    if 200 <= status < 300 and not rule.public_data and leaks(persona, response, w):
        return f"LEAK {leaks(persona, response, w)}"
    return None


def test_the_authorisation_matrix_holds_for_every_route_role_and_tenant(world: World) -> None:
    w = world
    present = set(routes(w.client.app))
    failures: list[str] = []
    cells = allowed_ok = cross_tenant = 0
    for (method, template), rule in RULES.items():
        if (method, template) not in present:
            continue  # a rule kept for a route another branch has not landed yet
        for persona in MATRIX_PERSONAS:
            role = PERSONAS[persona][0] if persona != "anonymous" else "anonymous"
            for side, tenant in tenants_for(persona, rule):
                kwargs = rule.request(w, tenant)
                headers = dict(kwargs.pop("headers", {}))
                if persona != "anonymous":
                    headers.update(w.mint_token(persona) if rule.fresh_token else w.auth(persona))
                path = fill(template, w, tenant)
                response = send(w, method, path, headers=headers, **kwargs)
                cells += 1
                cross_tenant += side == "other" and persona in TENANT_PERSONAS
                allowed_ok += 200 <= response.status_code < 300
                verdict = judge(persona, role, rule, side, response, w, path)
                if verdict:
                    failures.append(f"{method} {path} as {persona} ({side}): {verdict}")
    print(f"\nauthorisation matrix: {cells} cells, {cross_tenant} cross-tenant, {allowed_ok} answered 2xx")
    assert cells >= 400 and allowed_ok >= 100
    assert not failures, "\n".join(failures)


def test_web_pages_redirect_strangers_refuse_other_tenants_and_forms_without_csrf(world: World) -> None:
    w = world
    present = set(routes(w.client.app))
    failures: list[str] = []
    cells = 0
    for (method, template), page in WEB.items():
        if (method, template) not in present:
            continue
        for persona in ("anonymous", "admin_a", "member_a", "operator"):
            for side, tenant in tenants_for(persona, page):
                cookies = {} if persona == "anonymous" else {"suanli_token": w.api.tokens[persona]}
                path = fill(template, w, tenant)
                w.client.cookies.clear()
                w.client.cookies.update(cookies)
                response = send(w, method, path, follow_redirects=False,
                                data={"username": "admin_a", "password": "x"} if method == "POST" else None)
                cells += 1
                status, where = response.status_code, response.headers.get("location", "")
                if status >= 500:
                    failures.append(f"{method} {path} as {persona}: {status} {response.text[:300]}")
                elif method == "POST" and status < 300:
                    failures.append(f"{method} {path} as {persona}: form without CSRF token accepted ({status})")
                elif persona == "anonymous" and page.signed_in and status < 300:
                    failures.append(f"{method} {path}: stranger got {status}")
                elif persona == "anonymous" and page.signed_in and 300 <= status < 400 and "/signin" not in where:
                    failures.append(f"{method} {path}: stranger sent to {where!r}, not /signin")
                elif side == "other" and persona in TENANT_PERSONAS and method == "GET" and status != 404:
                    failures.append(f"CROSS-TENANT {method} {path} as {persona}: {status}, expected 404")
                elif side == "other" and persona in TENANT_PERSONAS and status < 400:
                    failures.append(f"CROSS-TENANT {method} {path} as {persona}: {status}")
    w.client.cookies.clear()
    print(f"\nweb matrix: {cells} cells")
    assert not failures, "\n".join(failures)


def test_a_tenant_cannot_name_another_tenant_in_bodies_or_queries(world: World) -> None:
    """Writes and filters that carry the other tenant's id in the body or the query are refused or scoped."""
    w, c = world, world.client
    b = w.orgs["B"]
    user = {"username": "sneaky-user", "password": "long-enough-pass-42", "role": "org_member", "organisation_id": b}
    assert c.post("/api/v1/users", json=user, headers=w.auth("admin_a")).status_code == 404
    promote = {**user, "organisation_id": w.orgs["A"], "role": "platform_operator"}
    assert c.post("/api/v1/users", json=promote, headers=w.auth("admin_a")).status_code == 403
    for path in (f"/api/v1/ledger/invoices?organisation_id={b}", f"/api/v1/wallets?organisation_id={b}",
                 f"/api/v1/ledger/accounts?owner_kind=organisation&owner_id={b}"):
        answer = c.get(path, headers=w.auth("admin_a"))
        assert answer.status_code == 200 and not leaks("admin_a", answer, w), (path, answer.text)
    assert json.loads(c.get("/api/v1/jobs", headers=w.auth("member_a")).text)  # own jobs are still listed
