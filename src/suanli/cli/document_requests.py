"""`suanli voucher ask-documents | answer-documents | document-requests`: requests for more documents
(需补充材料) through the API. A reviewer at the application's current stage asks, with a reason and
the document types wanted; the applicant's administrator uploads them (`suanli voucher document
upload`) and answers; who may do which is the server's rule."""

from __future__ import annotations

from typing import Annotated

import typer

from suanli.cli import client
from suanli.cli.common import Column, Output, chosen, emit, show_row
from suanli.domain.vouchers.program import Evidence

COLUMNS = [Column("id", "id"), Column("stage", "stage"), Column("kinds", lambda r: ", ".join(r["kinds"])),
           Column("reason", "reason"), Column("asked", "requested_at"), Column("answered", "answered_at"),
           Column("answer", "answer")]


def ask(application_id: int,
        reason: Annotated[str, typer.Option(help="what is missing and why; the applicant reads it")],
        kind: Annotated[list[Evidence] | None, typer.Option("--kind", help="a document type wanted (repeatable)")] = None,
        output: Output = None) -> None:
    """Ask the applicant for more documents; the application waits until it answers."""
    row = client.post(f"/api/v1/applications/{application_id}/document-requests",
                      {"reason": reason, "kinds": [k.value for k in kind or ()]})
    show_row(row, COLUMNS, chosen(output), f"application {application_id}: documents requested (request "
             f"{row['id']}, stage {row['stage']}); it waits for the applicant")


def answer(application_id: int, request_id: int,
           note: Annotated[str, typer.Option(help="a note to the reviewer")] = "", output: Output = None) -> None:
    """Say the documents asked for are uploaded; the review goes on."""
    row = client.post(f"/api/v1/applications/{application_id}/document-requests/{request_id}/answer",
                      {"answer": note})
    show_row(row, COLUMNS, chosen(output),
             f"application {application_id}: documents supplied; back to {row['application_status']}")


def listing(application_id: int, output: Output = None) -> None:
    """An application's requests for more documents, oldest first."""
    rows = client.get(f"/api/v1/applications/{application_id}/document-requests")
    emit(rows, COLUMNS, chosen(output), "需补充材料 Document requests")
