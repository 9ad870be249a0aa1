"""`suanli award ...`: incentive awards (政策兑现) over the API as the signed-in person: the items and
what each pays, the bureau's profile facts (一企一档), the policy calculator and 免申即享 confirmation, an
organisation's application with its evidence and the officer's review (or an officer's decision on an
application received elsewhere), paying a budget in, and the 公示 list. Awards
are paid by the finance disbursement batch (`suanli ledger batches --create`, `suanli ledger approve
--pay`); `award show` follows each payout from owed to paid. Money in yuan on the command line (fen in
JSON), `-o table|json|csv` on every command, exit 1 when the API refuses, 2 for a usage error."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.cli import client
from suanli.cli.common import Column, Output, chosen, emit, fen_of_yuan, read_text, show_row, usage
from suanli.domain.awards import parse_award_file
from suanli.domain.errors import SuanliError
from suanli.domain.money import format_yuan

NAME = "award"
app = typer.Typer(help="Incentive awards (政策兑现): items, profile facts, policy matches (免申即享), decisions, "
                       "funding and the disclosure list (公示).", no_args_is_help=True)
Lang = Annotated[str, typer.Option("--lang", help="zh or en for titles and reasons")]
Year = Annotated[int, typer.Option("--year", min=2000, max=2100, help="the policy year")]


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        usage("--lang is zh or en")
    return lang


def _pays(item: dict[str, Any], lang: str) -> str:
    """What an item pays, in a few words: the amount, percentage, tiers, levels or reviewed ceiling."""
    en = lang == "en"
    kind = item["kind"]
    if kind == "fixed":
        text = format_yuan(item["amount_fen"])
    elif kind == "percentage":
        text = (f"{item['percent']}% of the base, at most {format_yuan(item['ceiling_fen'])}" if en
                else f"基数的{item['percent']}%，最高{format_yuan(item['ceiling_fen'])}")
    elif kind == "tiered":
        steps = [f"≥{format_yuan(t['threshold_fen'])}: {format_yuan(t['amount_fen'])}" for t in item["tiers"]]
        text = "; ".join(steps) + (" (once per threshold)" if en else "（每档一次）")
    elif kind == "schedule":
        text = "; ".join(f"{level}: {format_yuan(fen)}" for level, fen in item["levels"].items())
    else:
        text = (f"reviewed, at most {format_yuan(item['ceiling_fen'])}" if en
                else f"评审核定，最高{format_yuan(item['ceiling_fen'])}")
    if len(item["parties"]) > 1:
        text += " each to " + " and ".join(item["parties"]) if en else "，" + "、".join(item["parties"]) + "分别享受"
    if item["places"]:
        text += f", first {item['places']}" if en else f"，前{item['places']}名"
    return text


def _item_columns(lang: str) -> list[Column]:
    return [Column("code", "code"), Column("名称" if lang == "zh" else "title", f"title_{lang}"),
            Column("pays" if lang == "en" else "奖励", lambda i: _pays(i, lang)),
            Column("annual ceiling", "annual_ceiling_fen", money=True),
            Column("免申即享", lambda i: "yes" if i["no_application"] else ""),
            Column("evidence", lambda i: ", ".join(e["id"] for e in i["evidence"])),
            Column("budget", "budget_fen", money=True), Column("left", "budget_left_fen", money=True)]


CLAIM_COLUMNS = [Column("id", "id"), Column("item", "item"), Column("organisation", "organisation_id"),
                 Column("year", "year"), Column("basis", "basis"), Column("amount", "amount_fen", money=True),
                 Column("place", "place"), Column("status", "status"),
                 Column("payouts", lambda c: ", ".join(f"{p['party']} {p['status']}" for p in c["payouts"])),
                 Column("decided by", "decided_by")]
PAYOUT_COLUMNS = [Column("id", "id"), Column("party", "party"), Column("organisation", "organisation_id"),
                  Column("amount", "amount_fen", money=True), Column("status", "status"), Column("batch", "batch_id")]
FACT_COLUMNS = [Column("key", "key"), Column("value", "value"), Column("source", "source"), Column("as of", "as_of"),
                Column("recorded by", "recorded_by")]
DISCLOSURE_COLUMNS = [Column("program", "program"), Column("organisation", "organisation"),
                      Column("单位", "organisation_zh"), Column("project", "project"),
                      Column("amount", "amount_fen", money=True), Column("granted", "granted_on")]


@app.command("items")
def items(lang: Lang = "zh", output: Output = None) -> None:
    """The award items loaded on the platform: what each pays, the evidence it needs, its budget left."""
    lang = _lang(lang)
    emit(client.get("/api/v1/award-items"), _item_columns(lang), chosen(output), "奖励事项 Award items")


@app.command("load")
def load(file: Path, output: Output = None) -> None:
    """Load (or reload) an award program file (YAML) as a program officer; it is checked here first."""
    fmt = chosen(output)
    text = read_text(file)
    try:
        parse_award_file(text)  # the same line-and-field error, before anything is sent
    except SuanliError as err:
        usage(f"{file}: {err.detail}")
    row = client.post("/api/v1/award-items", {"text": text})
    show_row(row, [Column("code", "code"), Column("family", "family")], fmt,
             f"loaded award item {row['code']} {row['title']['zh']} ({row['family']})")


@app.command("facts")
def facts(organisation: Annotated[int, typer.Argument(help="the organisation's id")], output: Output = None) -> None:
    """An organisation's profile facts (一企一档) with their source and date (the bureau's officers)."""
    emit(client.get(f"/api/v1/organisations/{organisation}/profile-facts"), FACT_COLUMNS, chosen(output),
         "企业档案 Profile facts")


@app.command("fact")
def fact(organisation: Annotated[int, typer.Argument(help="the organisation's id")],
         key: Annotated[str, typer.Argument(help="e.g. revenue_fen:2024, certification:little_giant")],
         value: Annotated[str, typer.Argument(help="the value as the profile keeps it (money in fen)")],
         source: Annotated[str, typer.Option("--source", help="the document the fact comes from")],
         as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD: the document's date")],
         output: Output = None) -> None:
    """Record one profile fact with its source and date (the bureau's officers)."""
    fmt = chosen(output)
    try:
        day = date.fromisoformat(as_of).isoformat()
    except ValueError:
        usage(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)")
    row = client.request("PUT", f"/api/v1/organisations/{organisation}/profile-facts",
                         json={"key": key, "value": value, "source": source, "as_of": day})
    show_row(row, FACT_COLUMNS[:4], fmt, f"organisation {organisation}: {row['key']} = {row['value']} "
                                         f"({row['source']}, {row['as_of']})")


def _my_organisation(organisation: int | None) -> int:
    if organisation is not None:
        return organisation
    mine = client.get("/api/v1/auth/me").get("organisation_id")
    if mine is None:
        usage("you belong to no organisation: name one with --organisation")
    return int(mine)


Organisation = Annotated[int | None, typer.Option("--organisation", help="an organisation id (default: your own)")]


@app.command("matches")
def matches(year: Annotated[int | None, typer.Option("--year", min=2000, max=2100,
                                                      help="the policy year (default: last year)")] = None,
            organisation: Organisation = None, lang: Lang = "zh",
            output: Output = None) -> None:
    """政策计算器: the items an organisation is likely eligible for from its profile, what and why."""
    lang = _lang(lang)
    org = _my_organisation(organisation)
    year = year or date.today().year - 1
    found = client.get(f"/api/v1/organisations/{org}/policy-matches", year=year)
    columns = [Column("item", "item"), Column("名称" if lang == "zh" else "title", f"title_{lang}"),
               Column("amount", "amount_fen", money=True),
               Column("免申即享", lambda m: "yes" if m["no_application"] else ""),
               Column("why", lambda m: "; ".join(w[lang] for w in m["why"]))]
    emit(found, columns, chosen(output), f"政策匹配 Policy matches {year}")


@app.command("confirm")
def confirm(item: Annotated[str, typer.Argument(help="the item's code")], year: Year,
            organisation: Organisation = None, output: Output = None) -> None:
    """免申即享: as the organisation's administrator, confirm a no-application item it is eligible for."""
    fmt = chosen(output)
    org = _my_organisation(organisation)
    row = client.request("POST", f"/api/v1/organisations/{org}/policy-matches/{item}/confirm", params={"year": year})
    show_row(row, CLAIM_COLUMNS, fmt, f"award claim {row['id']} on {row['item']}: {format_yuan(row['amount_fen'])} "
                                      f"owed until the disbursement batch pays it")


def _pairs(values: list[str] | None, flag: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in values or []:
        party, sep, value = text.partition("=")
        if not sep or not party.strip() or not value.strip():
            usage(f"{flag} {text!r}: write PARTY={what}, e.g. developer=…")
        out[party.strip()] = value.strip()
    return out


Basis = Annotated[str, typer.Option("--basis", help="what is paid for: a product, contract or expense (never paid "
                                                   "twice across programs)")]
Evidence = Annotated[list[str] | None, typer.Option("--evidence", help="an evidence id the item lists (repeat); "
                                                    "`award items` names them")]
Bases = Annotated[list[str] | None, typer.Option("--base", help="PARTY=YUAN: a declared base (R&D spending, contract "
                                                 "value) of a percentage item; repeat")]
Parties = Annotated[list[str] | None, typer.Option("--party", help="PARTY=ORGANISATION: who the other party of a "
                                                   "two-party item is (its name); repeat")]
Level = Annotated[str | None, typer.Option("--level", help="a schedule item's level, e.g. national")]


def _claim(item: str, organisation: int, year: int, basis: str, evidence: list[str] | None, base: list[str] | None,
           party: list[str] | None, level: str | None) -> dict[str, Any]:
    return {"organisation_id": organisation, "item": item, "year": year, "basis": basis, "evidence": evidence or [],
            "bases": {p: fen_of_yuan(v, "--base") for p, v in _pairs(base, "--base", "YUAN").items()},
            "parties": _pairs(party, "--party", "ORGANISATION"), "level": level}


def _decided_line(row: dict[str, Any]) -> str:
    if row["status"] == "submitted":
        return f"award application {row['id']} on {row['item']}: submitted, the bureau reviews it next"
    if row["status"] == "refused":
        return f"award application {row['id']} on {row['item']}: refused ({row['rules'][0]['en']})"
    place = f", place {row['place']}" if row["place"] else ""
    return (f"award claim {row['id']} on {row['item']}: {format_yuan(row['amount_fen'])}{place} owed until the "
            f"disbursement batch pays it")


@app.command("apply")
def apply(item: Annotated[str, typer.Argument(help="the item's code")], year: Year, basis: Basis,
          evidence: Evidence = None, base: Bases = None, party: Parties = None, level: Level = None,
          organisation: Organisation = None, output: Output = None) -> None:
    """As an organisation's administrator: apply (申报) with the evidence the item lists. The item's rules
    are checked at once (a refusal names the rule); the bureau reviews it (`award review`)."""
    fmt = chosen(output)
    body = _claim(item, _my_organisation(organisation), year, basis, evidence, base, party, level)
    row = client.post("/api/v1/award-applications", body)
    show_row(row, CLAIM_COLUMNS, fmt, _decided_line(row))


@app.command("review")
def review(claim_id: Annotated[int, typer.Argument(help="a submitted application's id")],
           refuse: Annotated[bool, typer.Option("--refuse", help="refuse it (give the reason with --note)")] = False,
           note: Annotated[str, typer.Option("--note", help="the reason of a refusal")] = "",
           reviewed: Annotated[str | None, typer.Option("--reviewed-amount", help="a reviewed item's amount after "
                                                        "expert review, in yuan")] = None,
           output: Output = None) -> None:
    """As a program officer: approve a submitted application (decided: the amounts owed) or refuse it."""
    fmt = chosen(output)
    if refuse and not note.strip():
        usage("--refuse needs the reason in --note")
    row = client.post(f"/api/v1/award-claims/{claim_id}/review", {
        "approve": not refuse, "note": note, "reviewed_amount_fen": fen_of_yuan(reviewed, "--reviewed-amount")})
    show_row(row, CLAIM_COLUMNS, fmt, _decided_line(row))


@app.command("decide")
def decide(item: Annotated[str, typer.Argument(help="the item's code")],
           organisation: Annotated[int, typer.Option("--organisation", help="the applicant's organisation id")],
           year: Year, basis: Basis, evidence: Evidence = None, base: Bases = None, party: Parties = None,
           level: Level = None,
           reviewed: Annotated[str | None, typer.Option("--reviewed-amount", help="a reviewed item's amount after "
                                                        "expert review, in yuan")] = None,
           output: Output = None) -> None:
    """As a program officer: record an application received outside the platform with its evidence and
    decide it at once (the amounts, the rules that fired, the place if ranked; owed until the batch)."""
    fmt = chosen(output)
    body = {**_claim(item, organisation, year, basis, evidence, base, party, level),
            "reviewed_amount_fen": fen_of_yuan(reviewed, "--reviewed-amount")}
    row = client.post("/api/v1/award-claims", body)
    show_row(row, CLAIM_COLUMNS, fmt, _decided_line(row))


@app.command("claims")
def claims(item: Annotated[str | None, typer.Option("--item", help="one item's code")] = None,
           status: Annotated[str | None, typer.Option("--status", help="submitted | decided | refused")] = None,
           limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 200, output: Output = None) -> None:
    """Applications and decided claims, newest first (the bureau: all; an organisation: those it is a
    party to)."""
    if status not in (None, "submitted", "decided", "refused"):
        usage("--status is submitted, decided or refused")
    emit(client.get_all("/api/v1/award-claims", limit=limit, item=item, status=status), CLAIM_COLUMNS,
         chosen(output), "奖励申请 Award claims")


@app.command("show")
def show(claim_id: int, lang: Lang = "zh", output: Output = None) -> None:
    """One decided claim: the rules that fired and each party's payout, owed or paid (another
    organisation's claim is "not found")."""
    lang, fmt = _lang(lang), chosen(output)
    row = client.get(f"/api/v1/award-claims/{claim_id}")
    emit([row], CLAIM_COLUMNS, fmt, data=row)
    if fmt.value == "table":
        emit(row["rules"], [Column("rule", "rule"), Column("why", lang)], fmt, "依据 Rules")
        emit(row["payouts"], PAYOUT_COLUMNS, fmt, "拨付 Payouts")


@app.command("fund")
def fund(item: Annotated[str, typer.Argument(help="the item's code")],
         amount: Annotated[str, typer.Argument(metavar="AMOUNT_YUAN", help="what the bureau pays in, in yuan")],
         key: Annotated[str | None, typer.Option("--idempotency-key", help="repeat safely: the same key pays once "
                                                 "(default: a new key, printed)")] = None,
         output: Output = None) -> None:
    """The bureau pays (part of) an item's budget into the platform's bank account (拨付预算)."""
    fmt = chosen(output)
    fen = fen_of_yuan(amount, "AMOUNT_YUAN")
    if not fen:
        usage("AMOUNT_YUAN must be more than zero")
    idempotency = key or f"cli-{uuid.uuid4()}"
    row = client.post(f"/api/v1/award-items/{item}/funding", {"amount_fen": fen},
                      headers={"Idempotency-Key": idempotency})
    row = {"item": item, "amount_fen": fen, **row, "idempotency_key": idempotency}
    show_row(row, [Column("item", "item"), Column("amount", "amount_fen", money=True), Column("transfer", "transfer"),
                   Column("idempotency key", "idempotency_key")], fmt,
             f"{format_yuan(fen)} paid in for {item}: ledger transfer {row['transfer']} (idempotency key {idempotency})")


@app.command("disclosure")
def disclosure(item: Annotated[str, typer.Argument(help="the item's code")],
               out: Annotated[Path | None, typer.Option("--out", help="write a .csv or .xlsx file instead")] = None,
               publish: Annotated[bool, typer.Option("--publish", help="officers: store it and log its hash")] = False,
               output: Output = None) -> None:
    """The item's disclosure list (公示): every party paid or owed, in the voucher disclosure's columns."""
    fmt = chosen(output)
    params = {"publish": str(publish).lower()}
    if out is None:
        emit(client.get(f"/api/v1/award-items/{item}/disclosure", **params), DISCLOSURE_COLUMNS, fmt,
             f"公示 Disclosure {item}")
        return
    if out.suffix not in (".csv", ".xlsx"):
        usage("--out must end in .csv or .xlsx")
    size = client.download(f"/api/v1/award-items/{item}/disclosure", out, params={**params, "format": out.suffix[1:]})
    show_row({"item": item, "file": str(out), "bytes": size},
             [Column("item", "item"), Column("file", "file"), Column("bytes", "bytes")], fmt,
             f"disclosure list of {item} written to {out}")
