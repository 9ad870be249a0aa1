"""The CLI's exports over a real server on SQLite and PostgreSQL: `ledger invoices --out`, `ledger statements
--out` and `voucher disclosure --out` write the API's bytes to the file; a refusal is one line and exit 1
with nothing written, a file that cannot be written one line and exit 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from suanli.cli.main import app
from suanli.domain.ledger.periods import period_of
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import served

PROGRAM = (Path(__file__).resolve().parents[3] / "examples" / "programs" / "chengdu-2023.yaml").read_bytes()


def one_line(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_exports_write_the_apis_bytes_and_refusals_and_unwritable_files_write_nothing(api, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bureau = api.organisation("bureau", OrganisationType.GOVERNMENT)
    company = api.organisation("company")
    officer = api.user("officer", Role.PROGRAM_OFFICER, bureau)
    finance = api.user("finance", Role.FINANCE_OFFICER, bureau)
    api.user("member", Role.ORG_MEMBER, company)
    program = api.client.post("/api/v1/programs", content=PROGRAM, headers=officer).json()["id"]
    month = period_of(datetime.now(UTC))
    missing_dir = tmp_path / "no" / "such" / "dir"

    with served(api.client.app) as url:
        def run(who: str, *args: str):  # type: ignore[no-untyped-def]
            env = {"SUANLI_URL": url, "SUANLI_TOKEN": api.tokens[who], "SUANLI_CREDENTIALS": str(tmp_path / "none"),
                   "COLUMNS": "250"}
            return CliRunner().invoke(app, list(args), env=env)

        invoice = tmp_path / "invoice.csv"
        issued = run("finance", "ledger", "invoices", "--month", month, "--organisation", str(company), "--issue",
                     "--out", str(invoice))
        assert issued.exit_code == 0 and f"wrote {invoice}" in issued.output, issued.output
        [row] = api.client.get("/api/v1/ledger/invoices", params={"month": month}, headers=finance).json()
        exported = api.client.get(f"/api/v1/ledger/invoices/{row['id']}/export", params={"format": "csv"},
                                  headers=finance)
        assert invoice.read_bytes() == exported.content
        xlsx = tmp_path / "invoice.xlsx"
        assert run("member", "ledger", "invoices", "--month", month, "--out", str(xlsx)).exit_code == 0
        assert xlsx.read_bytes()[:2] == b"PK"  # an organisation exports its own invoice, as a workbook
        assert "cannot write" in one_line(run("finance", "ledger", "invoices", "--month", month, "--organisation",
                                              str(company), "--out", str(missing_dir / "i.csv")), code=2)
        assert ".csv or .xlsx" in one_line(run("finance", "ledger", "invoices", "--month", month, "--out",
                                               str(tmp_path / "i.pdf")), code=2)

        statements = tmp_path / "statements.csv"
        assert run("finance", "ledger", "statements", "--month", month, "--out", str(statements)).exit_code == 0
        assert statements.read_bytes().decode("utf-8-sig").startswith("number,")
        assert "cannot write" in one_line(run("finance", "ledger", "statements", "--month", month, "--out",
                                              str(missing_dir / "s.csv")), code=2)
        refused = tmp_path / "refused.csv"
        assert "[forbidden]" in one_line(run("member", "ledger", "statements", "--month", month, "--out",
                                             str(refused)), code=1)
        assert not refused.exists()

        disclosure = tmp_path / "gs.csv"
        written = run("officer", "voucher", "disclosure", str(program), "--out", str(disclosure))
        assert written.exit_code == 0 and f"written to {disclosure}" in written.output, written.output
        assert disclosure.read_bytes() == api.client.get(f"/api/v1/programs/{program}/disclosure",
                                                         params={"format": "csv"}, headers=officer).content
        unknown = tmp_path / "unknown.csv"
        assert "not-found" in one_line(run("officer", "voucher", "disclosure", "999999", "--out", str(unknown)),
                                       code=1)
        assert not unknown.exists()
        assert "cannot write" in one_line(run("officer", "voucher", "disclosure", str(program), "--out",
                                              str(missing_dir / "gs.xlsx")), code=2)
        assert not missing_dir.exists()
