"""Reading a program file (YAML): validation with the line and field path of every error.

Pure (text in, `VoucherProgram` out) so the CLI, the API upload and the tests share one reader. The
hash of the exact text is what the platform records and audits, so a published program can be
matched byte for byte with the file that was loaded.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

import yaml
from pydantic import ValidationError

from suanli.domain.vouchers.errors import InvalidProgramFile
from suanli.domain.vouchers.program import SideMode, VoucherProgram
from suanli.domain.yaml_source import line_of, parse_yaml, refuse_bombs

MAX_FILE_BYTES = 200_000
Problem = tuple[tuple[Any, ...], str]


def program_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def program_text(data: bytes, source: str = "program file") -> str:
    """The text of a program file as uploaded or read from disk: it must be UTF-8 (a BOM is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidProgramFile(f"{source}: line {line}: the file must be UTF-8 text (save it as UTF-8; "
                                 "GBK and binary files are not read)", line=line, field="", file=source) from None


def parse_program_file(data: bytes, source: str = "program file") -> VoucherProgram:
    """Read and validate a program file's bytes; one line naming file, line and field on any error."""
    return parse_program(program_text(data, source), source=source)


def parse_program(text: str, *, source: str | None = None) -> VoucherProgram:
    """Parse and validate a program file; every error is one line naming the file, line and field."""
    try:
        data, node = _read(text)
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
    except InvalidProgramFile as exc:
        if source is None:
            raise
        raise InvalidProgramFile(f"{source}: {exc.detail}", **{**exc.extra, "file": source}) from None


def _read(text: str) -> tuple[Any, Any]:
    """The YAML data and node tree, after the checks a plain YAML reader skips: NUL bytes, impossible
    dates, ratios written as fractions (and, in `parse_yaml`, duplicated keys: the last would silently win)."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidProgramFile(f"line {line}: the file contains a NUL byte (is it a binary file?)", line=line,
                                 field="")
    refuse_bombs(text, InvalidProgramFile)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InvalidProgramFile("file nested too deeply to be a real configuration") from None
    except yaml.YAMLError:
        node = None  # parse_yaml below names the line
    if node is not None:
        _walk(node, [])
    return parse_yaml(text, InvalidProgramFile, max_bytes=MAX_FILE_BYTES, what="program file")


_FRACTION = re.compile(r"^[+]?0*\.\d+$")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _walk(node: Any, path: list[Any]) -> None:
    def fail(message: str, at: Any, where: list[Any]) -> None:
        line = at.start_mark.line + 1
        field = ".".join(str(p) for p in where)
        raise InvalidProgramFile(f"line {line}: {field or 'file'}: {message}", line=line, field=field)

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:  # a key written twice: parse_yaml's refuse_duplicate_keys, as for every file
            _walk(value, [*path, str(key.value)])
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, [*path, i])
    elif isinstance(node, yaml.ScalarNode):
        if node.tag == _TIMESTAMP:
            try:
                date.fromisoformat(str(node.value)[:10])
            except ValueError:
                fail(f"{node.value} is not a real date", node, path)
        if "ratios" in path[:-1] and node.style is None and _FRACTION.match(str(node.value)):
            percent = float(node.value) * 100
            fail(f"ratios are percents: {node.value} looks like a fraction; write {percent:g} for {percent:g}%",
                 node, path)


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
        if s.verifies_scale and p.scale is None:
            problems.append((("review_stages", i, "verifies_scale"), "verifies_scale needs a scale: threshold"))
        if s.min_score is not None and s.min_score > s.max_score:
            problems.append((("review_stages", i, "min_score"), f"min_score is above max_score {s.max_score}"))
    for name, rules in (("demand", p.demand), ("supply", p.supply)):
        if rules is None:
            continue
        problems += _duplicates((name, "ratio_rules"), [r.id for r in rules.ratio_rules])
        if rules.tiers is not None:
            starts = [b.from_fen for b in rules.tiers.bands]
            if starts[0] != 0 or starts != sorted(set(starts)):
                problems.append(((name, "tiers", "bands"), "bands start at from_fen 0 and ascend, each once"))
            problems += [((name, "tiers", "kinds"), f"{k.value} has no ratio in {name}.ratios (it is not subsidised)")
                         for k in rules.tiers.kinds if k not in rules.ratios]
    if p.funders:
        problems += _duplicates("funders", [f.id for f in p.funders])
        if sum(f.share_percent for f in p.funders) != 100:
            problems.append((("funders",), "the funders' share_percent add up to 100"))
    if p.scale is not None and not any(s.verifies_scale for s in p.review_stages):
        problems.append((("scale",), ("a scale threshold is verified by a reviewer: give one review stage "
                                     "'verifies_scale: true'")))
    return problems


def _duplicates(field: str | tuple[str, ...], names: list[str]) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    prefix = field if isinstance(field, tuple) else (field,)
    for i, name in enumerate(names):
        if name in seen:
            problems.append(((*prefix, i), f"duplicate {name!r}"))
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
