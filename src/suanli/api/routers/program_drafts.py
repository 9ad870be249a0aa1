"""The program editor over HTTP: propose a program file (the YAML body), read the draft in words with
its difference from the program in force, publish it as a second officer, or withdraw it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from suanli.api.deps import PrincipalDep, SessionDep
from suanli.services import vouchers as service

router = APIRouter(prefix="/api/v1/program-drafts", tags=["vouchers"])


def _out(row: Any) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "status": row.status, "sha256": row.text_hash,
            "proposed_by": row.proposed_by, "decided_by": row.decided_by, "program_id": row.program_id,
            "created_at": row.created_at.isoformat()}


@router.post("", status_code=201)
async def propose(request: Request, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Propose a program file (YAML body, `Content-Type: application/yaml`); 422 names line and field."""
    return _out(service.propose_program(session, actor=principal, data=await request.body()))


@router.get("")
def drafts(session: SessionDep, principal: PrincipalDep,
           status: Annotated[str, Query(pattern="^(proposed|published|withdrawn)$")] = "proposed") -> list[dict[str, Any]]:
    return [_out(r) for r in service.list_drafts(session, actor=principal, status=status)]


@router.get("/{draft_id}")
def draft(draft_id: int, session: SessionDep, principal: PrincipalDep,
          lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh") -> dict[str, Any]:
    shown = service.preview(session, actor=principal, draft_id=draft_id, zh=lang == "zh")
    return {**_out(shown.draft), "text": shown.draft.text,
            "clauses": [{"heading": c.heading, "sentences": c.sentences} for c in shown.clauses],
            "in_force": shown.in_force.code if shown.in_force is not None else None, "diff": shown.diff}


@router.post("/{draft_id}/publish", status_code=201)
def publish(draft_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    program = service.publish_draft(session, actor=principal, draft_id=draft_id)
    return {"program_id": program.id, "code": program.code, "sha256": program.text_hash}


@router.post("/{draft_id}/withdraw")
def withdraw(draft_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return _out(service.withdraw_draft(session, actor=principal, draft_id=draft_id))
