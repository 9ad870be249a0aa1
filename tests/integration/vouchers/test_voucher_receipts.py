"""Every grant and every redemption carries an audit receipt that verifies offline: fetched over
HTTP (or written by `suanli voucher receipt`), checked by `suanli audit verify-receipt` with only the
log's public key — and a receipt whose amount was edited is refused. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from suanli.cli.main import app as cli
from suanli.db.models.federation import PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.vouchers import VoucherRedemptionRow
from suanli.db.repositories.organisations import user_by_username
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import billing
from suanli_testing import served

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")
FEDERATION = """
centers:
  - name: nscc-chengdu
    name_zh: 国家超级计算成都中心
    kind: supercomputing
    city: 成都
    backend: {kind: simulated}
    pools:
      - {name: gpu-a100, model: A100, nodes: 2, devices_per_node: 8, price_fen_per_device_hour: 1500}
"""


def verify(receipt: dict, pubkey: Path, tmp_path: Path, name: str) -> Result:
    """`suanli audit verify-receipt` in this process: it reads only the file and the key."""
    path = tmp_path / name
    path.write_text(json.dumps(receipt, ensure_ascii=False))
    return CliRunner().invoke(cli, ["audit", "verify-receipt", str(path), "--pubkey", str(pubkey)])


def _metered_redemption(api, admin_org: int, user_id: int) -> int:
    """A finished job's usage metered by billing, as the worker does: the voucher pays 30%."""
    with unit_of_work(api.sessions) as s:
        pool = s.scalars(select(PoolRow)).one()
        job = JobRow(name="train", command="sleep 3600", organisation_id=admin_org, user_id=user_id,
                     state="succeeded", request={}, devices=8, time_limit_s=3600, pool_id=pool.id, backend_job_id="sim-1")
        s.add(job)
        s.flush()
        now = datetime.now(UTC)
        usage = UsageRecordRow(job_id=job.id, center_id=pool.center_id, pool_id=pool.id, organisation_id=admin_org,
                               backend_job_id="sim-1", step="job", device_seconds=8 * 3600, core_seconds=0,
                               wall_seconds=3600, started_at=now, ended_at=now, source="simulated")
        s.add(usage)
        s.flush()
        billing.on_usage_metered(s, usage=usage)
        return s.scalars(select(VoucherRedemptionRow)).one().id


def test_grant_and_redemption_receipts_verify_offline_and_an_edited_one_does_not(api, settings, tmp_path) -> None:
    api.load_federation(FEDERATION)
    bureau, sme, other = (api.organisation("bureau", OrganisationType.GOVERNMENT),
                          api.organisation("rongcheng-ai", sme=True), api.organisation("big-corp"))
    officer, officer2 = api.user("officer", Role.PROGRAM_OFFICER, bureau), api.user("officer2", Role.PROGRAM_OFFICER, bureau)
    admin, stranger = api.user("sme", Role.ORG_ADMIN, sme), api.user("big", Role.ORG_ADMIN, other)
    c = api.client
    program = c.post("/api/v1/programs", content=TEXT, headers=officer).json()["id"]
    c.post(f"/api/v1/programs/{program}/window", json={"open": True}, headers=officer)
    app_id = c.post("/api/v1/applications", json={"program_id": program, "project": "traffic model",
                                                  "requested_fen": 1_000_000}, headers=admin).json()["id"]
    c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True, "score": 80}, headers=officer)
    assert c.post(f"/api/v1/applications/{app_id}/reviews", json={"approve": True}, headers=officer2).status_code == 201
    with api.sessions() as s:
        sme_user = user_by_username(s, "sme").id  # type: ignore[union-attr]
    redemption = _metered_redemption(api, sme, sme_user)

    pubkey = tmp_path / "audit.pem"
    pubkey.write_text(c.get("/api/v1/audit/public-key?format=pem").text)
    grant = c.get(f"/api/v1/applications/{app_id}/grant/receipt", headers=admin)
    assert grant.status_code == 200 and grant.json()["event"]["kind"] == "voucher.grant_approved"
    redeemed = c.get(f"/api/v1/redemptions/{redemption}/receipt", headers=admin)
    assert redeemed.status_code == 200, redeemed.text
    event = redeemed.json()["event"]
    assert event["kind"] == "voucher.redeemed" and event["payload"]["amount_fen"] == 8 * 1500 * 30 // 100
    for name, receipt in (("grant.json", grant.json()), ("redemption.json", redeemed.json())):
        checked = verify(receipt, pubkey, tmp_path, name)
        assert checked.exit_code == 0 and checked.output.startswith("OK"), checked.output

    forged = redeemed.json()
    forged["event"]["payload"]["amount_fen"] += 100
    assert verify(forged, pubkey, tmp_path, "forged.json").exit_code == 1
    assert c.get(f"/api/v1/redemptions/{redemption}/receipt", headers=stranger).status_code == 404
    assert c.get(f"/api/v1/applications/{app_id}/grant/receipt", headers=stranger).status_code == 404

    with served(c.app) as url:  # `suanli voucher receipt` asks the API as the signed-in organisation
        env = {"SUANLI_URL": url, "SUANLI_TOKEN": api.tokens["sme"], "SUANLI_CREDENTIALS": str(tmp_path / "none")}
        written = CliRunner().invoke(cli, ["voucher", "receipt", "--redemption", str(redemption), "--out",
                                           str(tmp_path / "cli.json")], env=env)
        assert written.exit_code == 0, written.output
        foreign = CliRunner().invoke(cli, ["voucher", "receipt", "--redemption", str(redemption), "--out",
                                           str(tmp_path / "no.json")], env={**env, "SUANLI_TOKEN": api.tokens["big"]})
        assert foreign.exit_code == 1 and "not-found" in foreign.output
    checked = verify(json.loads((tmp_path / "cli.json").read_text()), pubkey, tmp_path, "cli-again.json")
    assert checked.exit_code == 0, checked.output
