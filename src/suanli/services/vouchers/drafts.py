"""The program editor's use cases: an officer proposes a program file (uploaded or pasted); it is
validated at once (file, line and field on any error) and kept as a draft with its SHA-256; anyone who
reads programs sees the draft in words, and the difference from the issuer's program in force; a
*second* officer publishes it (四眼原则: who proposed a file never publishes it), which loads it
exactly as `load_program` does. Proposal and publication are audit events naming both people."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.program_drafts import ProgramDraftRow
from suanli.db.models.vouchers import VoucherProgramRow
from suanli.db.repositories import federation as federation_repo
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers.errors import VoucherConflict, VoucherNotFound
from suanli.domain.vouchers.program import VoucherProgram
from suanli.domain.vouchers.program_file import parse_program, program_hash, program_text
from suanli.domain.vouchers.program_words import Clause, describe
from suanli.services.vouchers.common import audit_event
from suanli.services.vouchers.programs import load_program, program_of

EDITORS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
READERS = (*EDITORS, Role.FINANCE_OFFICER, Role.AUDITOR)


@dataclass(frozen=True)
class DraftPreview:
    draft: ProgramDraftRow
    program: VoucherProgram
    clauses: list[Clause]
    in_force: VoucherProgramRow | None  # the issuer's newest published program, compared with
    diff: list[str]  # unified diff lines from the program in force to the draft


def _editor(actor: Principal) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("program files are proposed and published by program officers")


def _draft(session: Session, actor: Principal, draft_id: int, *, for_update: bool = False) -> ProgramDraftRow:
    if actor.role not in READERS:
        raise Forbidden("program drafts are for program and finance officers and auditors")
    query = select(ProgramDraftRow).where(ProgramDraftRow.id == draft_id)
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise VoucherNotFound(f"program draft {draft_id} does not exist")
    return row


def propose_program(session: Session, *, actor: Principal, data: bytes,
                    source: str = "uploaded program file") -> ProgramDraftRow:
    """Validate the file and keep it as a draft awaiting a second officer."""
    _editor(actor)
    text = program_text(data, source)
    program = parse_program(text, source=source)
    if repo.program_by_code(session, program.id) is not None:
        raise VoucherConflict(f"a program with id {program.id!r} is already published and never changes; "
                              "give the new version an id of its own (e.g. with the year)", rule="program.immutable")
    digest = program_hash(text)
    row = ProgramDraftRow(code=program.id, text=text, text_hash=digest, status="proposed", proposed_by=actor.user_id)
    session.add(row)
    session.flush()
    audit_event(session, "voucher.program_proposed", f"program_draft:{row.id}",
                {"code": program.id, "sha256": digest, "by": actor.user_id})
    return row


def list_drafts(session: Session, *, actor: Principal, status: str = "proposed") -> Sequence[ProgramDraftRow]:
    if actor.role not in READERS:
        raise Forbidden("program drafts are for program and finance officers and auditors")
    return session.scalars(select(ProgramDraftRow).where(ProgramDraftRow.status == status)
                           .order_by(ProgramDraftRow.id.desc()).limit(200)).all()


def preview(session: Session, *, actor: Principal, draft_id: int, zh: bool = True) -> DraftPreview:
    """The draft in words and its difference from the program in force of the same issuer."""
    draft = _draft(session, actor, draft_id)
    program = parse_program(draft.text, source=f"draft {draft.id}")
    centers = {c.name: (c.name_zh if zh else c.name) for c in federation_repo.list_centers(session)}
    in_force = _in_force(session, program)
    diff = list(difflib.unified_diff(in_force.text.splitlines(), draft.text.splitlines(), fromfile=in_force.code,
                                     tofile=draft.code, lineterm="", n=2)) if in_force is not None else []
    return DraftPreview(draft, program, describe(program, zh=zh, centers=centers), in_force, diff)


def _in_force(session: Session, program: VoucherProgram) -> VoucherProgramRow | None:
    same_issuer = [row for row in repo.list_programs(session, limit=1000)
                   if program_of(row).issuer.zh == program.issuer.zh]
    return max(same_issuer, key=lambda row: (row.year, row.id), default=None)


def publish_draft(session: Session, *, actor: Principal, draft_id: int) -> VoucherProgramRow:
    """A second officer publishes the draft: the program is loaded from its exact text."""
    _editor(actor)
    draft = _draft(session, actor, draft_id, for_update=True)
    if draft.status != "proposed":
        raise VoucherConflict(f"program draft {draft_id} is {draft.status}, not awaiting publication",
                              rule="program.draft-decided")
    if draft.proposed_by == actor.user_id:
        raise Forbidden("四眼原则 (four eyes): the officer who proposed a program file cannot publish it")
    program = load_program(session, text=draft.text, actor=actor, source=f"draft {draft.id}")
    draft.status, draft.decided_by, draft.decided_at, draft.program_id = "published", actor.user_id, utcnow(), program.id
    audit_event(session, "voucher.program_published", f"voucher_program:{program.id}",
                {"draft": draft.id, "code": draft.code, "sha256": draft.text_hash, "proposed_by": draft.proposed_by,
                 "published_by": actor.user_id})
    session.flush()
    return program


def withdraw_draft(session: Session, *, actor: Principal, draft_id: int) -> ProgramDraftRow:
    """An officer withdraws a proposed draft (its proposer or another): nothing is published."""
    _editor(actor)
    draft = _draft(session, actor, draft_id, for_update=True)
    if draft.status != "proposed":
        raise VoucherConflict(f"program draft {draft_id} is {draft.status}, not awaiting publication",
                              rule="program.draft-decided")
    draft.status, draft.decided_by, draft.decided_at = "withdrawn", actor.user_id, utcnow()
    audit_event(session, "voucher.program_withdrawn", f"program_draft:{draft.id}",
                {"code": draft.code, "by": actor.user_id})
    session.flush()
    return draft
