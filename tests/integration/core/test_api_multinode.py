"""Multi-node jobs through the API on SQLite and PostgreSQL: a pool's `max_nodes` (federation file)
bounds how many nodes one job may span; a gang that does not fit is a 422 problem at submission,
and the broker never places an auto job on a pool that would have to split it wider than allowed."""

import pytest

from suanli.db.models.federation import PoolRow
from suanli.db.models.jobs import JobRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import Role
from suanli.services.placement import place_queued_jobs

PROBLEM = "application/problem+json"
FEDERATION = """
centers:
  - name: hpc
    name_zh: 超算
    kind: supercomputing
    city: 成都
    backend: {kind: local}
    pools:
      - {name: single, model: A800, nodes: 4, devices_per_node: 2, price_fen_per_device_hour: 100, max_nodes: 1}
      - {name: wide, model: A800, nodes: 4, devices_per_node: 2, price_fen_per_device_hour: 900, max_nodes: 4}
"""


@pytest.fixture
def member(api):
    api.load_federation(FEDERATION)
    api.user("alice", Role.ORG_MEMBER, api.organisation("org-a"))
    return api


def submit(api, pool: str | None, **resources):
    body = {"name": "mpi", "command": "srun hostname", "time_limit_s": 600,
            "resources": {"cpus_per_device": 1, "memory_gb_per_device": 0, **resources}}
    if pool:
        body.update(center="hpc", pool=pool)
    return api.client.post("/api/v1/jobs", json=body, headers=api.auth("alice"))


def refused(response, fragment: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith("/invalid-resource-request"), body
    assert fragment in body["detail"], body["detail"]


def test_a_gang_is_refused_where_the_pool_keeps_jobs_on_one_node_and_accepted_where_it_may_span(member):
    refused(submit(member, "single", devices=4, nodes=2),
            "pool hpc/single cannot run this job: a job there may span at most 1 node, this one needs 2")
    refused(submit(member, "single", devices=4), "may span at most 1 node, this one needs 2")  # 4 devices, 2 a node
    assert submit(member, "single", devices=2).status_code == 201  # one node is fine
    accepted = submit(member, "wide", devices=4, nodes=2, tasks_per_node=2)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["request"]["nodes"] == 2 and accepted.json()["request"]["tasks_per_node"] == 2
    refused(submit(member, "wide", devices=3, nodes=2), "3 devices cannot be split evenly over 2 nodes")
    refused(submit(member, "wide", devices=8, nodes=2), "its nodes have 2 devices each, fewer than the 4 per node asked")
    bad = submit(member, "wide", devices=2, nodes=0)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)


def test_an_auto_gang_is_placed_only_where_it_may_span_its_nodes(member):
    gang = submit(member, None, devices=4, nodes=2)
    small = submit(member, None, devices=2)
    assert gang.status_code == 201 and small.status_code == 201, gang.text
    refused(submit(member, None, devices=16, nodes=8), "no pool in the federation can run this request")
    with unit_of_work(member.sessions) as session:
        assert place_queued_jobs(session) == 2
        pools = {p.id: p.name for p in session.query(PoolRow)}
        placed = {j.id: (pools.get(j.pool_id), j.placement) for j in session.query(JobRow)}
    gang_pool, gang_record = placed[gang.json()["id"]]
    assert (gang_pool, placed[small.json()["id"]][0]) == ("wide", "single")  # the cheap one-node pool: small only
    excluded = {e["pool"]: e["code"] for e in gang_record.get("excluded", [])}
    assert excluded.get("single") == "too_many_nodes", gang_record
