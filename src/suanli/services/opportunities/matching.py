"""Matching requests (对接): an organisation asks to connect on a published item; the item's issuer
organisation answers (the bureau when the issuer is not on the platform); either side reports the
outcome. Every change is kept as a history row and in the transparency log. A request is visible to the
two organisations and the bureau only: to anyone else it does not exist (404)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.db.models.opportunities import OpportunityMatchEventRow, OpportunityMatchRow
from suanli.db.repositories import opportunities as repo
from suanli.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from suanli.domain.opportunities import ItemStatus, MatchOutcome, MatchStatus, check_match_transition
from suanli.domain.organisations import Principal, Role
from suanli.services.audit import record_event
from suanli.services.opportunities.batches import OFFICERS
from suanli.services.opportunities.board import get_item

REQUESTERS = (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN)


def request_match(session: Session, *, actor: Principal, item_id: int, message: str = "") -> OpportunityMatchRow:
    if actor.role not in REQUESTERS:
        raise Forbidden("matching requests are made by organisations")
    item = get_item(session, principal=actor, item_id=item_id)
    if item.status != ItemStatus.OPEN.value:
        raise Conflict(f"opportunity {item.code} is closed")
    if item.issuer_organisation_id == actor.organisation_id:
        raise InvalidInput("an organisation does not request matching on its own item")
    if repo.match_of(session, item_id, actor.organisation_id) is not None:
        raise Conflict(f"your organisation has asked for matching on {item.code} already")
    if len(message) > 2000:
        raise InvalidInput("a message has at most 2000 characters")
    row = OpportunityMatchRow(opportunity_id=item_id, requester_organisation_id=actor.organisation_id,
                              message=message, status=MatchStatus.REQUESTED.value)
    session.add(row)
    session.flush()
    _history(session, row, actor, message)
    return row


def _visible(session: Session, principal: Principal, match_id: int) -> tuple[OpportunityMatchRow, int | None]:
    row = repo.get_match(session, match_id)
    if row is not None:
        item = repo.get_item(session, row.opportunity_id)
        issuer = item.issuer_organisation_id if item else None
        if principal.role in OFFICERS or principal.organisation_id in (row.requester_organisation_id, issuer):
            return row, issuer
    raise NotFound(f"matching request {match_id} not found")


def answer_match(session: Session, *, actor: Principal, match_id: int, status: MatchStatus, note: str = "") -> OpportunityMatchRow:
    """The issuer accepts or declines; the requester may withdraw."""
    row, issuer = _visible(session, actor, match_id)
    if status == MatchStatus.WITHDRAWN:
        allowed = actor.organisation_id == row.requester_organisation_id
    elif status in (MatchStatus.ACCEPTED, MatchStatus.DECLINED):
        allowed = (actor.organisation_id == issuer and actor.role != Role.ORG_MEMBER) or actor.role in OFFICERS
    else:
        raise InvalidInput("an answer is accepted, declined or withdrawn")
    if not allowed:
        raise Forbidden("the item's issuer answers a matching request; the requester may withdraw it")
    check_match_transition(MatchStatus(row.status), status)
    row.status = status.value
    _history(session, row, actor, note)
    return row


def conclude_match(session: Session, *, actor: Principal, match_id: int, outcome: MatchOutcome,
                   amount_fen: int | None = None, note: str = "") -> OpportunityMatchRow:
    row, _issuer = _visible(session, actor, match_id)
    check_match_transition(MatchStatus(row.status), MatchStatus.CONCLUDED)
    if amount_fen is not None and amount_fen < 0:
        raise InvalidInput("a contract amount is not negative")
    row.status, row.outcome, row.outcome_amount_fen = MatchStatus.CONCLUDED.value, outcome.value, amount_fen
    _history(session, row, actor, note)
    return row


def list_matches(session: Session, *, principal: Principal, item_id: int | None = None) -> Sequence[OpportunityMatchRow]:
    if principal.role in OFFICERS:
        return repo.matches(session, item_id=item_id)
    return repo.matches(session, item_id=item_id, organisation_id=principal.organisation_id)


def match_history(session: Session, *, principal: Principal, match_id: int) -> Sequence[OpportunityMatchEventRow]:
    _visible(session, principal, match_id)
    return repo.match_events(session, match_id)


def _history(session: Session, row: OpportunityMatchRow, actor: Principal, note: str) -> None:
    session.add(OpportunityMatchEventRow(match_id=row.id, status=row.status, actor=actor.username, note=note[:2000]))
    record_event(session, kind=f"opportunity.match_{row.status}", subject=f"opportunity-match/{row.id}",
                 payload={"opportunity_id": row.opportunity_id, "by": actor.username, "outcome": row.outcome,
                          "amount_fen": row.outcome_amount_fen}, organisation_id=row.requester_organisation_id)
