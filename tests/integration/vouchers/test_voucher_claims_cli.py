"""`suanli voucher contract|claim|document` over a real server as the signed-in person: the buyer
declares (yuan on the command line), the provider confirms and attests payment, the buyer claims once
(a retry with the same key answers the same redemption), evidence goes up and comes back byte for
byte; refusals are one line and exit 1, usage errors exit 2 before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from suanli.cli.main import app as cli
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import served

PROGRAM = """\
id: cli-claims
title: {zh: 测试, en: test}
issuer: {zh: 局, en: bureau}
year: 2026
budget_fen: 100_000_000
side: demand
settlement: reimbursement
apply_and_enjoy: true
demand:
  ratios: {compute: 20}
  ratio_rules:
    - {id: ratio.domestic, when: {domestic: true}, percent: 40}
orders: {through_platform: false}
validity: {valid_days: 365}
"""


def test_contracts_claims_and_documents_from_the_command_line(api, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    buyer_org, provider_org = api.organisation("buyer-co"), api.organisation("dc", OrganisationType.PROVIDER)
    stranger_org = api.organisation("stranger")
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    buyer = api.user("buyer", Role.ORG_ADMIN, buyer_org)
    api.user("dc-admin", Role.PROVIDER_ADMIN, provider_org)
    api.user("stranger", Role.ORG_ADMIN, stranger_org)
    c = api.client
    program = c.post("/api/v1/programs", content=PROGRAM, headers=officer).json()["id"]
    c.post(f"/api/v1/programs/{program}/window", json={"open": True}, headers=officer)
    assert c.post("/api/v1/applications", json={"program_id": program, "project": "p", "requested_fen": 10_000_000},
                  headers=buyer).status_code == 201

    with served(c.app) as url:
        def run(who: str, *args: str):  # type: ignore[no-untyped-def]
            env = {"SUANLI_URL": url, "SUANLI_TOKEN": api.tokens[who], "SUANLI_CREDENTIALS": str(tmp_path / "none")}
            return CliRunner().invoke(cli, ["voucher", *args], env=env)

        for bad in (["--item", "gpu:100"], ["--item", "compute:1.001"]):
            wrong = run("buyer", "contract", "declare", "--provider", str(provider_org), "N-1", "10000",
                        "--signed-on", "2026-01-05", *bad)
            assert wrong.exit_code == 2 and wrong.output.startswith("error:"), wrong.output
        assert run("buyer", "contract", "declare", "--provider", str(provider_org), "N-1", "10000",
                   "--signed-on", "2026-02-30").exit_code == 2
        declared = run("buyer", "contract", "declare", "--provider", str(provider_org), "合同 N-1", "¥10,000",
                       "--signed-on", "2026-01-05", "--term-months", "12", "--item", "compute:6000:cann:domestic",
                       "--item", "compute:4000:cuda", "-o", "json")
        assert declared.exit_code == 0, declared.output
        contract = json.loads(declared.output)
        assert contract["amount_fen"] == 1_000_000 and contract["status"] == "declared"
        assert contract["items"][0] == {"kind": "compute", "amount_fen": 600_000, "ecosystem": "cann",
                                        "domestic": True, "center": None}
        cid = str(contract["id"])

        early = run("buyer", "claim", "submit", str(program), cid)
        assert early.exit_code == 1 and "has not confirmed this contract" in early.output, early.output
        assert run("buyer", "contract", "confirm", cid).exit_code == 1  # only the provider attests
        assert run("dc-admin", "contract", "confirm", cid).exit_code == 0
        paid = run("dc-admin", "contract", "paid", cid, "10000")
        assert paid.exit_code == 0 and "¥10,000.00 of ¥10,000.00 paid" in paid.output
        hidden = run("stranger", "contract", "show", cid)
        assert hidden.exit_code == 1 and "not-found" in hidden.output and len(hidden.output.strip().splitlines()) == 1

        first = run("buyer", "claim", "submit", str(program), cid, "--idempotency-key", "k-1", "-o", "json")
        assert first.exit_code == 0, first.output
        redemption = json.loads(first.output)
        assert redemption["amount_fen"] == 240_000 + 80_000  # 40% of the domestic ¥6,000, 20% of ¥4,000
        again = run("buyer", "claim", "submit", str(program), cid, "--idempotency-key", "k-1", "-o", "json")
        assert again.exit_code == 0 and json.loads(again.output)["id"] == redemption["id"]
        twice = run("buyer", "claim", "submit", str(program), cid, "--idempotency-key", "k-2")
        assert twice.exit_code == 1 and "voucher-conflict" in twice.output
        listed = run("buyer", "claim", "list", "-o", "csv")
        assert listed.exit_code == 0 and listed.output.splitlines()[1].endswith(",10000.00,3200.00,redeemed")

        invoice = tmp_path / "发票.pdf"
        invoice.write_bytes(b"%PDF-1.4 invoice N-1")
        assert run("buyer", "document", "upload", str(invoice), "--kind", "invoice", "--contract", cid,
                   "--application", "1").exit_code == 2
        assert run("buyer", "document", "upload", str(invoice), "--kind", "selfie", "--contract", cid).exit_code == 2
        uploaded = run("buyer", "document", "upload", str(invoice), "--kind", "invoice", "--contract", cid, "-o", "json")
        assert uploaded.exit_code == 0, uploaded.output
        document = json.loads(uploaded.output)
        assert document["filename"] == "发票.pdf"
        seen = run("dc-admin", "document", "list", "--contract", cid, "-o", "json")
        assert [d["id"] for d in json.loads(seen.output)] == [document["id"]]
        back = tmp_path / "back.pdf"
        assert run("officer", "document", "get", str(document["id"]), "--out", str(back)).exit_code == 0
        assert back.read_bytes() == invoice.read_bytes()
        assert run("stranger", "document", "get", str(document["id"]), "--out", str(back)).exit_code == 1
        unwritable = run("officer", "document", "get", str(document["id"]), "--out", str(tmp_path / "no" / "x.pdf"))
        assert unwritable.exit_code == 2 and unwritable.output.startswith("error: cannot write"), unwritable.output
        missing = run("buyer", "document", "upload", str(tmp_path / "none.pdf"), "--kind", "invoice", "--contract", cid)
        assert missing.exit_code == 2 and missing.output.startswith("error: cannot read"), missing.output
