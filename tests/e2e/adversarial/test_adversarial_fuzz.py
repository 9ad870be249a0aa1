"""Fuzzing: schemathesis generates valid and invalid requests for every operation of the app's own
OpenAPI document, signed in as a random role of a populated two-tenant world, in-process (ASGI).

Every answer must be below 500; every 4xx an RFC 9457 problem+json (type, title, status, detail);
every documented answer must match its schema. The run is bounded: about SUANLI_FUZZ_EXAMPLES cases
in total (default 1,200, `make fuzz` raises it), spread over the operations, on SQLite only.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from adversarial_world import World
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

TOTAL = int(os.environ.get("SUANLI_FUZZ_EXAMPLES", "1200"))
ROLES = ["operator", "admin_a", "member_a", "provider", "officer", "finance", "auditor"]
PROBLEM = "application/problem+json"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite only: the fuzzer's budget goes to cases, not to a second database."""
    return sqlite_url


def content_type(response: Any) -> str:
    value = response.headers.get("content-type", "")  # schemathesis keeps every header as a list
    return str(value[0] if isinstance(value, list) and value else value)


def problem_json(response: Any) -> str | None:
    """Why a 4xx answer is not a valid problem+json, or None."""
    if not 400 <= response.status_code < 500:
        return None
    if not content_type(response).startswith(PROBLEM):
        return f"content-type {content_type(response)!r}"
    try:
        body = response.json()
    except ValueError:
        return "body is not JSON"
    for name, kind in (("type", str), ("title", str), ("status", int), ("detail", str)):
        if not isinstance(body.get(name), kind):
            return f"member {name!r} missing or not {kind.__name__}"
    return None if body["status"] == response.status_code else f"status {body['status']} != {response.status_code}"


def fuzz_operation(op: Any, w: World, examples: int, tally: Counter[str], failures: list[str]) -> None:
    strategy = st.one_of(op.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         op.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    revokes = op.path.endswith("/logout")

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy, persona=st.sampled_from(ROLES))
    def run(case: Any, persona: str) -> None:
        headers = w.mint_token(persona) if revokes else w.auth(persona)
        try:
            response = case.call(headers=headers)
        except Exception as error:  # noqa: BLE001 - the in-process client re-raises what the app raised: a 500 in production
            failures.append(f"{op.label} as {persona}: raised {type(error).__name__}: {error}"[:400])
            return
        tally[op.label] += 1
        tally[f"status {response.status_code}"] += 1
        wrong = problem_json(response)
        if wrong:
            failures.append(f"{op.label} as {persona}: {response.status_code} not problem+json ({wrong})")
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                   headers=headers)
        except Exception as error:  # noqa: BLE001 - collect every finding, then report them together
            failures.append(f"{op.label} as {persona}: {str(error).splitlines()[0:3]}"[:400])

    run()


def test_fuzz_every_operation_as_every_role_without_5xx_and_with_problem_json(world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    examples = max(4, math.ceil(TOTAL * 1.15 / len(operations)))  # cheap operations exhaust early: overshoot
    tally: Counter[str] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    for op in operations:
        fuzz_operation(op, world, examples, tally, failures)
    cases = sum(v for k, v in tally.items() if not k.startswith("status "))
    statuses = {k: v for k, v in sorted(tally.items()) if k.startswith("status ")}
    print(f"\nfuzz: {cases} cases over {len(operations)} operations ({examples} max each) in "
          f"{time.perf_counter() - started:.0f} s; {statuses}; {len(failures)} findings")
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} findings:\n" + "\n".join(unique[:60])
    assert cases >= min(TOTAL, 1000), f"only {cases} cases generated"
