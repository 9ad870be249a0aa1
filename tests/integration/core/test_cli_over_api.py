"""The CLI over the API: a real uvicorn server on 127.0.0.1 (free port, SQLite with the demo, the
workers running real local jobs), driven through Typer's CliRunner as each demo person signed in
with `suanli login`. What a command shows is what the API shows that person; refusals are one line
and exit 1, usage errors exit 2."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from suanli.cli.main import app
from suanli.config import Settings
from suanli.db.engine import make_engine
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory, unit_of_work
from suanli_testing import free_port, served


@dataclass
class Server:
    url: str
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from suanli.api.app import create_app
    from suanli.services.demo import load_demo

    root = tmp_path_factory.mktemp("cli-over-api")
    url = f"sqlite:///{root}/demo.db"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(session_factory(engine)) as session:
        accounts = load_demo(session)
    engine.dispose()
    settings = Settings(database_url=url, data_dir=root / "data", worker_interval_s=0.2)  # type: ignore[arg-type]
    with served(create_app(settings, run_workers=True), lifespan="on") as base:
        yield Server(base, {a["username"]: a["password"] for a in accounts})


@dataclass
class Cli:
    env: dict[str, str]

    def __call__(self, *args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(app, list(args), env={**self.env, **(env or {})})

    def login(self, server: Server, username: str) -> None:
        result = self("login", "--username", username, "--password", server.passwords[username], "--url", server.url)
        assert result.exit_code == 0, result.output
        assert server.url in result.output


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv("SUANLI_URL", raising=False)
    monkeypatch.delenv("SUANLI_TOKEN", raising=False)
    return Cli({"SUANLI_CREDENTIALS": str(tmp_path / "credentials.json"), "COLUMNS": "250"})


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_version_prints_the_version(cli: Cli) -> None:
    from suanli import __version__

    result = cli("--version")
    assert result.exit_code == 0 and result.output.strip() == f"suanli {__version__}"


def test_a_member_sees_only_its_own_organisations_wallets(server: Server, cli: Cli) -> None:
    cli.login(server, "operator")
    everyone = json.loads(cli("voucher", "wallet", "-o", "json").output)
    assert len({w["organisation_id"] for w in everyone}) >= 2
    cli.login(server, "zhixing-dev")
    own = json.loads(cli("voucher", "wallet", "-o", "json").output)
    me = httpx.get(f"{server.url}/api/v1/auth/me", headers=auth(cli)).json()
    assert own and {w["organisation_id"] for w in own} == {me["organisation_id"]}
    assert [w["id"] for w in own] == [w["id"] for w in everyone if w["organisation_id"] == me["organisation_id"]]
    table = cli("voucher", "wallet")
    assert table.exit_code == 0 and "¥" in table.output
    others = {str(w["id"]) for w in everyone} - {str(w["id"]) for w in own}
    first_cells = {line.split("│")[1].strip() for line in table.output.splitlines() if line.startswith("│")}
    assert not first_cells & others  # the wallet id column lists none of another organisation's wallets


def auth(cli: Cli) -> dict[str, str]:
    token = json.loads(Path(cli.env["SUANLI_CREDENTIALS"]).read_text())["token"]
    return {"Authorization": f"Bearer {token}"}


QUOTE = ("quote", "--devices", "16", "--min-device-memory", "64", "--hours", "12", "--prefer", "cheapest")


def test_quote_shows_the_subsidy_of_the_signed_in_organisation(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-admin")
    subsidised = json.loads(cli(*QUOTE, "--json").output)
    assert any(o["subsidy_fen"] > 0 for o in subsidised["options"])
    assert all(o["price_fen"] == o["list_price_fen"] - o["subsidy_fen"] for o in subsidised["options"])
    same = httpx.post(f"{server.url}/api/v1/quotes", headers=auth(cli), json={
        "devices": 16, "min_device_memory_gb": 64, "hours": 12, "prefer": "cheapest"}).json()
    # The same prices and subsidies as the API's; free devices and expected starts may move between the
    # two calls (the demo's live jobs are being placed meanwhile), so they are not compared.
    def money(quote: dict) -> list[tuple[int, int, int, int]]:  # type: ignore[type-arg]
        return sorted((o["pool_id"], o["list_price_fen"], o["subsidy_fen"], o["price_fen"]) for o in quote["options"])

    assert money(subsidised) == money(same)
    table = cli(*QUOTE, "--lang", "en")
    assert table.exit_code == 0 and "subsidy" in table.output
    first = subsidised["options"][0]
    from suanli.domain.money import format_yuan

    assert format_yuan(first["subsidy_fen"]) in table.output
    cli.login(server, "jinjiang-admin")  # an organisation without a voucher wallet
    unsubsidised = json.loads(cli(*QUOTE, "-o", "json").output)
    assert all(o["subsidy_fen"] == 0 for o in unsubsidised["options"])


def test_an_impossible_quote_is_one_line_with_the_closest_alternatives(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    result = cli("quote", "--devices", "5000", "--ecosystem", "cuda", "--lang", "en")
    assert result.exit_code == 1
    line = one_line(result.output)
    assert "closest:" in line and "[" in line
    as_json = cli("quote", "--devices", "5000", "--ecosystem", "cuda", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["status"] == 422


def test_another_tenants_job_is_not_found_and_a_refusal_is_one_line_exit_1(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    submitted = cli("submit", "echo mine", "--center", "local", "--pool", "cpu", "--json")
    assert submitted.exit_code == 0, submitted.output
    job_id = json.loads(submitted.stdout)["id"]
    cli.login(server, "yilian-admin")
    for args in (("job", "show", str(job_id)), ("job", "logs", str(job_id)), ("job", "cancel", str(job_id))):
        refused = cli(*args)
        assert refused.exit_code == 1, (args, refused.output)
        assert "[job-not-found]" in one_line(refused.output) or "not-found" in one_line(refused.output)
    forbidden = cli("ledger", "statements", "--month", "2026-01")
    assert forbidden.exit_code == 1 and "[forbidden]" in one_line(forbidden.output)


def test_usage_errors_exit_2(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    for args in (("jobs", "--bogus"), ("submit", "echo", "--auto", "--max-price", "twelve"),
                 ("submit", "echo", "--center", "local", "--pool", "cpu", "--time-limit", "soon"),
                 ("centers", "-o", "yaml"), ("ledger", "invoices", "--month", "2026-13"),
                 ("submit", "echo", "--auto", "--max-price", "0.001")):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


def test_an_unreachable_server_is_one_line_naming_the_url(cli: Cli, server: Server) -> None:
    cli.login(server, "zhixing-dev")
    closed = f"http://127.0.0.1:{free_port()}"
    for result in (cli("--url", closed, "jobs"), cli("jobs", env={"SUANLI_URL": closed}),
                   cli("login", "--username", "x", "--password", "y", "--url", closed)):
        assert result.exit_code == 1
        line = one_line(result.output)
        assert closed in line and "--url" in line and "SUANLI_URL" in line


def test_listings_print_json_in_fen_and_csv_in_yuan(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    as_json = json.loads(cli("centers", "-o", "json").output)
    assert json.loads(cli("centers", "--json").output) == as_json
    pools = {(c["name"], p["name"]): p["price_fen_per_device_hour"] for c in as_json for p in c["pools"]}
    rows = list(csv.DictReader(io.StringIO(cli("centers", "-o", "csv").output)))
    assert {(r["center"], r["pool"]): r["¥/device-hour"] for r in rows} == {
        k: f"{v / 100:.2f}" for k, v in pools.items()}
    cli.login(server, "zhixing-admin")
    for listing in (("jobs",), ("voucher", "wallet"), ("voucher", "program", "list"), ("voucher", "applications"),
                    ("voucher", "redemptions"), ("ledger", "balances"), ("ledger", "invoices", "--month", "2026-01")):
        found = cli(*listing, "-o", "csv")
        assert found.exit_code == 0, (listing, found.output)
        assert len(list(csv.reader(io.StringIO(found.output)))) == 1 + len(json.loads(cli(*listing, "-o", "json").output))


def test_submit_max_price_is_in_yuan(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    result = cli("submit", "echo hi", "--auto", "--max-price", "12.50", "--time-limit", "00:10:00", "-o", "json")
    assert result.exit_code == 0, result.output
    job = json.loads(result.output)
    assert job["request"]["max_price_fen"] == 1250 and job["time_limit_s"] == 600
    cli("job", "cancel", str(job["id"]))


def test_submit_nodes_asks_for_a_gang_and_a_pool_that_keeps_jobs_on_one_node_refuses_it(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    refused = cli("submit", "srun hostname", "--center", "local", "--pool", "cpu", "--devices", "2", "--nodes", "2")
    assert refused.exit_code == 1
    assert "may span at most 1 node, this one needs 2" in refused.output
    gang = cli("submit", "srun ./mpi", "--center", "nscc-chengdu", "--pool", "gpu-a100", "--devices", "16",
               "--nodes", "2", "--tasks-per-node", "8", "--time-limit", "10m", "--json")
    assert gang.exit_code == 0, gang.output
    job = json.loads(gang.stdout)
    assert (job["request"]["nodes"], job["request"]["tasks_per_node"], job["devices"]) == (2, 8, 16)
    cli("job", "cancel", str(job["id"]))


def test_job_logs_follow_prints_until_the_job_ends(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-dev")
    submitted = cli("submit", "echo first; sleep 2; echo second", "--center", "local", "--pool", "cpu",
                    "--time-limit", "2m", "--json")
    assert submitted.exit_code == 0, submitted.output
    job_id = json.loads(submitted.stdout)["id"]
    started = time.monotonic()
    followed = cli("job", "logs", str(job_id), "--follow", "--interval", "0.3")
    assert followed.exit_code == 0, followed.output
    assert followed.stdout == "first\nsecond\n"
    assert f"job {job_id}: succeeded" in followed.stderr
    assert time.monotonic() - started >= 1.5
    state = httpx.get(f"{server.url}/api/v1/jobs/{job_id}", headers=auth(cli)).json()["state"]
    assert state == "succeeded"


def test_an_unexpected_error_is_one_line_with_the_debug_hint(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one fake here: no real command fails unexpectedly on purpose, so one is made to."""
    from suanli.cli import client

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(client, "get", broken)
    result = cli("voucher", "wallet")
    assert result.exit_code == 1
    line = one_line(result.output)
    assert "RuntimeError: disk on fire" in line and "SUANLI_DEBUG=1" in line


def test_an_application_in_yuan_is_reviewed_by_the_officer_and_the_server_keeps_its_bounds(server: Server,
                                                                                          cli: Cli) -> None:
    cli.login(server, "maker-admin")
    applied = cli("voucher", "apply", "1", "创客短视频模型", "¥1,000.50", "--sector", "media", "-o", "json")
    assert applied.exit_code == 0, applied.output
    application = json.loads(applied.output)
    assert application["requested_fen"] == 100050
    refused = cli("voucher", "review", str(application["id"]), "--score", "80")  # an applicant does not review
    assert refused.exit_code == 1 and "[forbidden]" in one_line(refused.output)
    cli.login(server, "officer")
    out_of_range = cli("voucher", "review", str(application["id"]), "--score", "150")
    assert out_of_range.exit_code == 1 and "150" in one_line(out_of_range.output)
    reviewed = cli("voucher", "review", str(application["id"]), "--score", "80")
    assert reviewed.exit_code == 0 and "approved" in reviewed.output
    wrong_person = cli("voucher", "review", str(application["id"]), "--as", "reviewer")
    assert wrong_person.exit_code == 1 and "signed in as officer" in one_line(wrong_person.output)
    listed = {a["id"]: a for a in json.loads(cli("voucher", "applications", "-o", "json").output)}
    assert listed[application["id"]]["status"] != "submitted"


def test_a_budget_deposit_in_yuan_is_idempotent_by_its_key_and_only_for_money_roles(server: Server, cli: Cli) -> None:
    cli.login(server, "zhixing-admin")
    refused = cli("voucher", "deposit", "1", "1000")
    assert refused.exit_code == 1 and "[forbidden]" in one_line(refused.output)
    cli.login(server, "finance")
    before = {a["id"]: a["balance_fen"] for a in json.loads(cli("ledger", "balances", "-o", "json").output)}
    first = cli("voucher", "deposit", "1", "¥1,000.00", "--idempotency-key", "cli-test-deposit-1")
    again = cli("voucher", "deposit", "1", "1000", "--idempotency-key", "cli-test-deposit-1")
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "¥1,000.00 deposited" in first.output and first.output == again.output
    after = {a["id"]: a["balance_fen"] for a in json.loads(cli("ledger", "balances", "-o", "json").output)}
    moved = sorted(abs(after[i] - before.get(i, 0)) for i in after if after[i] != before.get(i, 0))
    # One balanced transfer of ¥1,000.00, not two. The live demo's running jobs go on being metered
    # meanwhile (a few fen on wallets, clearing and payables), so only moves of a deposit's size count.
    assert [m for m in moved if m >= 100000] == [100000, 100000], moved
    reserves = cli("voucher", "reserves", "1", "-o", "json")
    assert reserves.exit_code == 0 and isinstance(json.loads(reserves.output), list)


def test_a_reviewer_asks_for_documents_and_the_applicant_uploads_and_answers(server: Server, cli: Cli,
                                                                            tmp_path: Path) -> None:
    cli.login(server, "reviewer")
    listed = json.loads(cli("voucher", "applications", "-o", "json").output)
    app_id = str(next(a["id"] for a in listed if a["project"] == "中小企业算力撮合服务"))
    bad_kind = cli("voucher", "ask-documents", app_id, "--reason", "x", "--kind", "passport")
    assert bad_kind.exit_code == 2
    asked = cli("voucher", "ask-documents", app_id, "--reason", "请补充服务合同", "--kind", "contract", "-o", "json")
    assert asked.exit_code == 0, asked.output
    request = json.loads(asked.output)
    assert request["kinds"] == ["contract"] and request["application_status"] == "needs_documents"
    again = cli("voucher", "ask-documents", app_id, "--reason", "again")
    assert again.exit_code == 1 and "[voucher-conflict]" in one_line(again.output)

    cli.login(server, "rongsuan-admin")
    early = cli("voucher", "answer-documents", app_id, str(request["id"]))
    assert early.exit_code == 1 and "contract" in one_line(early.output)
    contract = tmp_path / "服务合同.pdf"
    contract.write_bytes(b"%PDF-1.4 contract")
    assert cli("voucher", "document", "upload", str(contract), "--kind", "contract", "--application", app_id).exit_code == 0
    answered = cli("voucher", "answer-documents", app_id, str(request["id"]), "--note", "已上传")
    assert answered.exit_code == 0 and "back to submitted" in answered.output, answered.output
    shown = cli("voucher", "document-requests", app_id, "-o", "csv")
    assert shown.exit_code == 0 and "请补充服务合同" in shown.output and "已上传" in shown.output
