"""`suanli opportunity ...`: the AI opportunity list (机会清单) over the API: search the board (Chinese
words anywhere in an item's text), show an item, the bureau's batches (create, import and export the
sheet in its own column layout, submit, publish or return), matching requests (对接) with their status
history and outcome, closing and evaluating items, and quoting a compute-demand item in one step.
`-o table|json|csv` on every command (budgets in yuan; fen in JSON), exit 1 when the API refuses, 2 for
a usage error before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.cli import client
from suanli.cli.common import (
    Column,
    Output,
    chosen,
    emit,
    fen_of_yuan,
    read_file,
    short_time,
    show_row,
    usage,
)
from suanli.cli.quote import OPTION_COLUMNS
from suanli.cli.quote import show as show_quote
from suanli.domain.opportunities import KIND_NAMES_ZH, TRACK_NAMES_ZH, ItemKind, MatchOutcome, Track

NAME = "opportunity"
app = typer.Typer(help="The AI opportunity list (机会清单): search, items, batches with import/export, matching "
                       "requests (对接).", no_args_is_help=True)
batch_app = typer.Typer(help="Publication batches (发布批次): the bureau's sheet, reviewed by another officer.",
                        no_args_is_help=True)
match_app = typer.Typer(help="Matching requests (对接) between organisations, with their status history.",
                        no_args_is_help=True)
app.add_typer(batch_app, name="batch")
app.add_typer(match_app, name="match")

# The reader's words for kinds and tracks come from the domain (the web's catalog says the same; the CLI
# must not import web): the applications track is 行业应用, as on the web.
KIND_ZH: dict[str, str] = {k.value: v for k, v in KIND_NAMES_ZH.items()}
TRACK_ZH: dict[str, str] = {k.value: v for k, v in TRACK_NAMES_ZH.items()}
ITEM_COLUMNS = [Column("id", "id"), Column("code", "code"), Column("类型", lambda i: KIND_ZH.get(i["kind"], i["kind"])),
                Column("方向", lambda i: TRACK_ZH.get(i["track"], i["track"])), Column("名称", "title"),
                Column("发布单位", "issuer"), Column("区域", "region"), Column("场景", "scenario"),
                Column("budget", "budget_fen", money=True), Column("deadline", "deadline"), Column("status", "status")]
DETAIL_COLUMNS = [*ITEM_COLUMNS, Column("batch", "batch_id"), Column("description", "description"),
                  Column("indicators", "indicators"), Column("contact", "contact_name"),
                  Column("phone", "contact_phone"), Column("email", "contact_email")]
BATCH_COLUMNS = [Column("id", "id"), Column("title", "title"), Column("status", "status"),
                 Column("prepared by", "prepared_by"), Column("submitted by", "submitted_by"),
                 Column("reviewed by", "reviewed_by"), Column("note", "review_note")]
MATCH_COLUMNS = [Column("id", "id"), Column("opportunity", "opportunity_id"),
                 Column("requester", "requester_organisation_id"), Column("status", "status"),
                 Column("outcome", "outcome"), Column("amount", "outcome_amount_fen", money=True),
                 Column("message", "message")]
EVENT_COLUMNS = [Column("at", lambda e: short_time(e["at"])), Column("status", "status"), Column("by", "actor"),
                 Column("note", "note")]
SHEETS = (".xlsx", ".csv")


def _choice(value: str | None, allowed: type[Any], flag: str) -> str | None:
    if value is not None and value not in {m.value for m in allowed}:
        usage(f"{flag} is one of {', '.join(m.value for m in allowed)}")
    return value


@app.command("list")
def search(query: Annotated[str, typer.Argument(help="words to find, Chinese or not (all must occur)")] = "",
           kind: Annotated[str | None, typer.Option("--kind", help="supply | demand")] = None,
           track: Annotated[str | None, typer.Option("--track", help=" | ".join(t.value for t in Track))] = None,
           status: Annotated[str | None, typer.Option("--status", help="open | closed")] = None,
           limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100, output: Output = None) -> None:
    """Search the published list (all of it without words)."""
    fmt = chosen(output)
    params = {"q": query, "kind": _choice(kind, ItemKind, "--kind"), "track": _choice(track, Track, "--track"),
              "status": status}
    found: list[dict[str, Any]] = []
    total = 0
    while len(found) < limit:
        page = client.get("/api/v1/opportunities", offset=len(found), limit=min(500, limit - len(found)), **params)
        found.extend(page["items"])
        total = page["total"]
        if not page["items"] or len(found) >= total:
            break
    emit(found, ITEM_COLUMNS, fmt, f"机会清单 Opportunities ({len(found)} of {total})",
         data={"total": total, "items": found})


@app.command("show")
def show(item_id: int, output: Output = None) -> None:
    """One item with its description, indicators and contact."""
    row = client.get(f"/api/v1/opportunities/{item_id}")
    emit([row], DETAIL_COLUMNS, chosen(output), data=row)


@app.command("close")
def close(item_id: int, output: Output = None) -> None:
    """Close an item (the bureau's program officers); closed items are evaluated."""
    row = client.post(f"/api/v1/opportunities/{item_id}/close")
    show_row(row, ITEM_COLUMNS, chosen(output), f"opportunity {row['id']} {row['code']}: {row['status']}")


@app.command("evaluate")
def evaluate(item_id: int, score: Annotated[int, typer.Option("--score", min=1, max=5, help="1 to 5")],
             comment: Annotated[str, typer.Option("--comment")] = "", output: Output = None) -> None:
    """The bureau's evaluation of a closed item, with its matching figures."""
    row = client.post(f"/api/v1/opportunities/{item_id}/evaluation", {"score": score, "comment": comment})
    columns = [Column(c, c) for c in ("opportunity_id", "score", "matches", "deals", "evaluated_by")]
    show_row(row, columns, chosen(output), f"opportunity {item_id}: score {row['score']}, {row['matches']} "
                                           f"matching requests, {row['deals']} deals")


@app.command("quote")
def quote(item_id: int, output: Output = None) -> None:
    """Quote a compute-demand item on the platform in one step (the same answer as `suanli quote`)."""
    fmt = chosen(output)
    answer = client.post(f"/api/v1/opportunities/{item_id}/quote")
    if fmt.value == "table":
        show_quote(answer, "zh")
    else:
        emit([{**o, "rank": i} for i, o in enumerate(answer["options"], 1)], OPTION_COLUMNS, fmt, data=answer)


# --- batches ------------------------------------------------------------------------------------------------


@batch_app.command("list")
def batches(output: Output = None) -> None:
    """Batches you may see (the public: published ones; the bureau: all)."""
    emit(client.get("/api/v1/opportunity-batches"), BATCH_COLUMNS, chosen(output), "发布批次 Batches")


@batch_app.command("create")
def create(title: str, output: Output = None) -> None:
    """Start a batch (a program officer)."""
    row = client.post("/api/v1/opportunity-batches", {"title": title})
    show_row(row, BATCH_COLUMNS, chosen(output), f"batch {row['id']} {row['title']}: {row['status']}")


@batch_app.command("import")
def import_sheet(batch_id: int, file: Annotated[Path, typer.Argument(help="the bureau's sheet, .xlsx or .csv")],
                 output: Output = None) -> None:
    """Import the bureau's sheet into a draft batch: all rows or none (a bad or duplicate row is named)."""
    fmt = chosen(output)
    if file.suffix.lower() not in SHEETS:
        usage(f"{file}: the sheet must be .xlsx or .csv")
    data = read_file(file)
    rows = client.request("POST", f"/api/v1/opportunity-batches/{batch_id}/items",
                          files={"file": (file.name, data, "application/octet-stream")})
    if fmt.value == "table":
        show_row(rows, ITEM_COLUMNS, fmt, f"imported {len(rows)} items into batch {batch_id}")
    else:
        emit(rows, ITEM_COLUMNS, fmt)


@batch_app.command("export")
def export(batch_id: int, out: Annotated[Path, typer.Option("--out", help="a .xlsx or .csv file")],
           output: Output = None) -> None:
    """Export a batch in the bureau's column layout (what `batch import` reads back)."""
    fmt = chosen(output)
    if out.suffix.lower() not in SHEETS:
        usage("--out must end in .xlsx or .csv")
    size = client.download(f"/api/v1/opportunity-batches/{batch_id}/export", out,
                           params={"format": out.suffix.lower()[1:]})
    show_row({"batch": batch_id, "file": str(out), "bytes": size},
             [Column("batch", "batch"), Column("file", "file"), Column("bytes", "bytes")], fmt,
             f"batch {batch_id} written to {out}")


@batch_app.command("submit")
def submit(batch_id: int, output: Output = None) -> None:
    """Submit a draft batch for review by another officer."""
    row = client.post(f"/api/v1/opportunity-batches/{batch_id}/submit")
    show_row(row, BATCH_COLUMNS, chosen(output), f"batch {row['id']}: {row['status']}")


@batch_app.command("review")
def review(batch_id: int, decision: Annotated[str, typer.Argument(help="publish | return")],
           note: Annotated[str, typer.Option("--note")] = "", output: Output = None) -> None:
    """Publish a submitted batch or return it to its officer (not the one who prepared it)."""
    if decision not in ("publish", "return"):
        usage("the decision is publish or return")
    row = client.post(f"/api/v1/opportunity-batches/{batch_id}/review", {"decision": decision, "note": note})
    show_row(row, BATCH_COLUMNS, chosen(output), f"batch {row['id']}: {row['status']}")


# --- matching requests --------------------------------------------------------------------------------------


@match_app.command("request")
def request(item_id: int, message: Annotated[str, typer.Option("--message", help="what you propose")] = "",
            output: Output = None) -> None:
    """Ask the issuer of an item for a match (对接), as your organisation."""
    row = client.post(f"/api/v1/opportunities/{item_id}/matches", {"message": message})
    show_row(row, MATCH_COLUMNS, chosen(output), f"matching request {row['id']} on opportunity {item_id}: "
                                                 f"{row['status']}")


@match_app.command("list")
def matches(output: Output = None) -> None:
    """Matching requests you are a party to (the bureau: all)."""
    emit(client.get("/api/v1/opportunity-matches"), MATCH_COLUMNS, chosen(output), "对接 Matching requests")


@match_app.command("status")
def status(match_id: int, output: Output = None) -> None:
    """A matching request's status history, oldest first."""
    emit(client.get(f"/api/v1/opportunity-matches/{match_id}/history"), EVENT_COLUMNS, chosen(output),
         f"对接 {match_id} history")


@match_app.command("answer")
def answer(match_id: int, reply: Annotated[str, typer.Argument(help="accepted | declined | withdrawn")],
           note: Annotated[str, typer.Option("--note")] = "", output: Output = None) -> None:
    """The issuer accepts or declines; the requester may withdraw."""
    if reply not in ("accepted", "declined", "withdrawn"):
        usage("the answer is accepted, declined or withdrawn")
    row = client.post(f"/api/v1/opportunity-matches/{match_id}/answer", {"status": reply, "note": note})
    show_row(row, MATCH_COLUMNS, chosen(output), f"matching request {row['id']}: {row['status']}")


@match_app.command("conclude")
def conclude(match_id: int, outcome: Annotated[str, typer.Argument(help="signed | pilot | no_deal")],
             amount: Annotated[str | None, typer.Option("--amount", help="the deal's amount, in yuan")] = None,
             note: Annotated[str, typer.Option("--note")] = "", output: Output = None) -> None:
    """Record the outcome of an accepted request."""
    _choice(outcome, MatchOutcome, "OUTCOME")
    row = client.post(f"/api/v1/opportunity-matches/{match_id}/conclude",
                      {"outcome": outcome, "amount_fen": fen_of_yuan(amount, "--amount"), "note": note})
    show_row(row, MATCH_COLUMNS, chosen(output), f"matching request {row['id']}: {row['status']}, {row['outcome']}")
