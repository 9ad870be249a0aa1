"""Program files: every shipped file validates; malformed files are refused with line and field."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from suanli.domain.vouchers import InvalidProgramFile, parse_program, program_hash, program_json_schema

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "src" / "suanli" / "schemas" / "voucher-program.schema.json"
FILES = sorted((ROOT / "examples" / "programs").glob("*.yaml"))
GOOD = (ROOT / "examples" / "programs" / "chengdu-2023.yaml").read_text()


def test_one_program_file_is_shipped_per_policy() -> None:
    names = {f.stem for f in FILES}
    assert names >= {"chengdu-2023", "chengdu-2024-supply", "shanghai-2023", "yangzhou", "langfang", "qingyang",
                     "guizhou-2026"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_shipped_program_parses_and_validates_against_the_published_schema(path: Path) -> None:
    program = parse_program(path.read_text())
    data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(data)
    assert program.budget_fen > 0


def test_the_published_schema_is_the_one_generated_from_the_model() -> None:
    assert json.loads(SCHEMA.read_text()) == json.loads(json.dumps(program_json_schema()))


def test_the_hash_names_the_exact_text() -> None:
    assert program_hash(GOOD) != program_hash(GOOD + "\n")
    assert len(program_hash(GOOD)) == 64


def refused(text: str) -> InvalidProgramFile:
    with pytest.raises(InvalidProgramFile) as caught:
        parse_program(text)
    return caught.value


def test_an_unknown_field_is_refused_with_its_line_and_path() -> None:
    text = GOOD.replace("  through_platform: true", "  through_platform: true\n  thru_platfrom: true")
    err = refused(text)
    assert err.extra["field"] == "orders.thru_platfrom"
    assert err.extra["line"] == text.splitlines().index("  thru_platfrom: true") + 1
    assert f"line {err.extra['line']}" in err.detail


def test_a_ratio_above_one_hundred_percent_is_refused_at_its_line() -> None:
    err = refused(GOOD.replace("ratios: {compute: 30}", "ratios: {compute: 130}"))
    assert err.extra["field"] == "demand.ratios.compute"
    assert err.extra["line"] == 11


def test_an_unknown_item_kind_is_refused() -> None:
    err = refused(GOOD.replace("ratios: {compute: 30}", "ratios: {gpu: 30}"))
    assert err.extra["field"].startswith("demand.ratios.gpu")


def test_a_side_without_its_ratios_is_refused() -> None:
    err = refused(GOOD.replace("side: demand", "side: both"))
    assert err.extra["field"] == "supply"


def test_a_window_closing_before_it_opens_is_refused_at_the_window() -> None:
    err = refused(GOOD.replace("closes: 2023-06-30", "closes: 2022-06-30"))
    assert err.extra["field"] == "windows.0.closes"
    assert err.extra["line"] == GOOD.splitlines().index("windows:") + 2


def test_a_review_stage_with_an_unknown_role_is_refused() -> None:
    err = refused(GOOD.replace("role: program_officer", "role: mayor", 1))
    assert err.extra["field"] == "review_stages.0.role"


def test_a_program_without_review_must_say_apply_and_enjoy() -> None:
    text = GOOD[: GOOD.index("review_stages:")] + "priority_sectors: []\n"
    assert refused(text).extra["field"] == "review_stages"


def test_broken_yaml_is_refused_with_its_line() -> None:
    err = refused("id: x\ntitle: {zh: [\n")
    assert "not valid YAML" in err.detail and err.extra["line"] is not None


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    assert refused("- a\n- b\n").extra["line"] == 1


def test_an_invalid_program_file_is_a_422_problem() -> None:
    err = refused("id: X\n")
    assert err.status == 422 and err.slug == "invalid-program-file"
    assert err.extra["errors"]
