"""Reading a program file (YAML): validation with the line and field path of every error.

Pure (text in, `VoucherProgram` out) so the CLI, the API upload and the tests share one reader. The
hash of the exact text is what the platform records and audits, so a published program can be
matched byte for byte with the file that was loaded.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from suanli.domain.vouchers.errors import InvalidProgramFile
from suanli.domain.vouchers.program import SideMode, VoucherProgram
from suanli.domain.yaml_source import line_of, parse_yaml

MAX_FILE_BYTES = 200_000
Problem = tuple[tuple[Any, ...], str]


def program_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_program(text: str) -> VoucherProgram:
    """Parse and validate a program file; every error names its line and field path."""
    data, node = parse_yaml(text, InvalidProgramFile, max_bytes=MAX_FILE_BYTES, what="program file")
    if not isinstance(data, dict):
        raise InvalidProgramFile("line 1: a program file is a mapping of fields", line=1, field="")
    try:
        program = VoucherProgram.model_validate(data)
    except ValidationError as exc:
        _raise([(tuple(e["loc"]), e["msg"]) for e in exc.errors()], node)
    problems = cross_checks(program)
    if problems:
        _raise(problems, node)
    return program


def cross_checks(p: VoucherProgram) -> list[Problem]:
    """Rules between fields that a JSON Schema cannot state."""
    problems: list[Problem] = []
    wants_demand = p.side in (SideMode.DEMAND, SideMode.BOTH, SideMode.PROVIDER_XOR_USER)
    wants_supply = p.side in (SideMode.SUPPLY, SideMode.BOTH, SideMode.PROVIDER_XOR_USER)
    for name, wanted, rules in (("demand", wants_demand, p.demand), ("supply", wants_supply, p.supply)):
        if wanted and rules is None:
            problems.append(((name,), f"side {p.side.value!r} needs {name} ratios"))
        if not wanted and rules is not None:
            problems.append(((name,), f"side {p.side.value!r} pays no {name} side; remove {name}"))
    if p.apply_and_enjoy and p.review_stages:
        problems.append((("review_stages",), "apply_and_enjoy programs grant without review stages"))
    if not p.apply_and_enjoy and not p.review_stages:
        problems.append((("review_stages",), "at least one review stage (or apply_and_enjoy: true)"))
    for i, w in enumerate(p.windows):
        if w.closes < w.opens:
            problems.append((("windows", i, "closes"), "a window closes before it opens"))
    if p.validity.valid_days is None and p.validity.expires_on is None:
        problems.append((("validity",), "give valid_days or expires_on"))
    problems += _duplicates("review_stages", [s.name for s in p.review_stages])
    problems += _duplicates("eligibility", [r.id for r in p.eligibility])
    for i, s in enumerate(p.review_stages):
        if s.min_score is not None and not s.scored:
            problems.append((("review_stages", i, "min_score"), "min_score needs scored: true"))
        if s.min_score is not None and s.min_score > s.max_score:
            problems.append((("review_stages", i, "min_score"), f"min_score is above max_score {s.max_score}"))
    return problems


def _duplicates(field: str, names: list[str]) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for i, name in enumerate(names):
        if name in seen:
            problems.append(((field, i), f"duplicate {name!r}"))
        seen.add(name)
    return problems


def _raise(problems: list[Problem], node: Any) -> None:
    errors = []
    for loc, message in problems:
        path = ".".join(str(p) for p in loc)
        errors.append({"line": line_of(node, list(loc)), "field": path, "message": message})
    first = errors[0]
    detail = "; ".join(f"line {e['line']}: {e['field'] or 'file'}: {e['message']}" for e in errors[:5])
    raise InvalidProgramFile(detail, line=first["line"], field=first["field"], errors=errors)
