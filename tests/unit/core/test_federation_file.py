from pathlib import Path

import pytest

from suanli.domain.errors import InvalidFederationFile
from suanli.domain.federation_file import parse_federation

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "federation-chengdu.yaml"


def test_the_chengdu_example_federation_parses_with_every_kind_of_center():
    centers = parse_federation(EXAMPLE.read_text(encoding="utf-8"))
    kinds = {c.kind.value for c in centers}
    assert {"supercomputing", "ai", "datacenter", "cloud", "local"} <= kinds
    ecosystems = {p.accelerator.ecosystem.value for c in centers for p in c.pools}
    assert ecosystems == {"cuda", "cann", "rocm", "cpu"}


def test_malformed_yaml_is_reported_with_its_line():
    with pytest.raises(InvalidFederationFile, match="line 3"):
        parse_federation("centers:\n  - name: a\n\t- name: b\n")


def test_an_unknown_accelerator_is_reported_with_line_and_field():
    text = EXAMPLE.read_text(encoding="utf-8").replace("model: H20", "model: H2O")
    with pytest.raises(InvalidFederationFile) as caught:
        parse_federation(text)
    problem = caught.value.problem()
    assert problem["field"].endswith(".model")
    assert "H2O" in caught.value.detail
    line = text.splitlines()[problem["line"] - 1]
    assert "H2O" in line


def test_a_negative_price_names_the_field():
    text = EXAMPLE.read_text(encoding="utf-8").replace("price_fen_per_device_hour: 20}", "price_fen_per_device_hour: -20}")
    with pytest.raises(InvalidFederationFile, match="price_fen_per_device_hour"):
        parse_federation(text)


def test_duplicate_center_names_are_refused():
    text = EXAMPLE.read_text(encoding="utf-8").replace("name: dazhou-dc", "name: yaan-hydro")
    with pytest.raises(InvalidFederationFile, match="duplicate center name 'yaan-hydro'"):
        parse_federation(text)


def test_an_unknown_field_is_refused_rather_than_ignored():
    with pytest.raises(InvalidFederationFile, match="colour"):
        parse_federation("centers:\n  - {name: a, name_zh: a, kind: ai, city: c, backend: {kind: local}, colour: red, pools: [{name: p, model: T4, nodes: 1, devices_per_node: 1, price_fen_per_device_hour: 1}]}\n")


def test_absurdly_nested_yaml_is_refused_not_a_crash():
    with pytest.raises(InvalidFederationFile, match="nested too deeply"):
        parse_federation("centers: " + "[" * 5000 + "]" * 5000)


POOL_WITH_NODES = """centers:
  - name: hpc
    name_zh: 超算
    kind: supercomputing
    city: Chengdu
    backend: {kind: slurm, parent_account: center-hpc}
    pools:
      - name: gpu
        model: A800
        nodes: 4
        devices_per_node: 8
        price_fen_per_device_hour: 1000
        max_nodes: MAX
      - name: one
        model: A800
        nodes: 4
        devices_per_node: 8
        price_fen_per_device_hour: 1000
"""


def test_max_nodes_says_how_many_nodes_one_job_may_span_and_cannot_exceed_the_pools_nodes():
    [center] = parse_federation(POOL_WITH_NODES.replace("MAX", "2"))
    assert [p.max_nodes for p in center.pools] == [2, None]
    assert center.backend_options == {"parent_account": "center-hpc"}
    with pytest.raises(InvalidFederationFile) as caught:
        parse_federation(POOL_WITH_NODES.replace("MAX", "5"))
    assert "max_nodes (5) cannot exceed the pool's nodes (4)" in caught.value.detail
    assert caught.value.problem()["field"] == "centers.0.pools.0"
    with pytest.raises(InvalidFederationFile, match="max_nodes"):
        parse_federation(POOL_WITH_NODES.replace("MAX", "0"))
