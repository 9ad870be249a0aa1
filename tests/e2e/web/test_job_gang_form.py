"""The job form's 节点数 and 每节点任务数 in Chinese: an uneven split is refused with the service's
rule in Chinese, the fields kept; an even one is submitted as the API's `nodes` and `tasks_per_node`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, sign_in

from suanli.db.models.jobs import JobRow

pytestmark = pytest.mark.browser


def test_nodes_and_tasks_per_node_reach_the_request_and_an_uneven_split_is_refused_in_chinese(
        page: Page, server: Server) -> None:
    sign_in(page, server, "uestc-student")
    page.goto("/jobs/new")
    expect(page.locator("label[for=nodes]")).to_have_text(re.compile("^节点数"))
    expect(page.locator("label[for=tasks_per_node]")).to_have_text("每节点任务数")
    page.fill("#name", "mpi-gang")
    page.fill("#command", "echo gang")
    page.fill("#devices", "3")
    page.fill("#nodes", "2")
    page.fill("#tasks_per_node", "4")
    page.select_option("#pool", "local/cpu")
    page.click("text=提交作业 >> nth=-1")
    expect(page.locator("p.error")).to_have_text("3 个设备无法平均分配到 2 个节点，请选择能整除设备数的节点数。")
    expect(page.locator("#nodes")).to_have_value("2")
    expect(page.locator("#tasks_per_node")).to_have_value("4")

    page.fill("#devices", "2")
    page.fill("#nodes", "1")
    page.click("text=提交作业 >> nth=-1")
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    with server.sessions() as session:  # type: ignore[operator]
        request = session.get(JobRow, job_id).request
    assert (request.get("nodes"), request.get("tasks_per_node")) == (1, 4)
