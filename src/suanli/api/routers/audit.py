"""The transparency log (审计日志) over HTTP: public key, signed heads, events, receipts, consistency.

Auditors, the platform operator and government officers see every event; organisation roles see
only their own organisation's events and receipts. The public key needs no sign-in, so anyone can
check what the platform hands out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from suanli.api.deps import PageDep, PrincipalDep, SessionDep, SettingsDep
from suanli.api.paging import one_page
from suanli.domain.audit.errors import InvalidProofRequest
from suanli.domain.audit.signing import public_key_pem, raw_public_key
from suanli.services import audit as service
from suanli.services import audit_views

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class PublicKeyOut(BaseModel):
    algorithm: str = "Ed25519"
    key_id: str
    public_key_pem: str
    public_key_hex: str


class SignedHeadOut(BaseModel):
    schema_: str | None = None
    tree_size: int
    timestamp_ms: int
    root_hash: str
    key_id: str
    signature: str


class EventOut(BaseModel):
    seq: int
    kind: str
    subject: str
    organisation_id: int | None
    leaf_hash: str
    event: dict[str, Any]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str]


def _head_out(head: Any) -> SignedHeadOut:
    data = head.to_dict()
    return SignedHeadOut(schema_=data.pop("schema"), **data)


@router.get("/public-key", response_model=PublicKeyOut)
def public_key(settings: SettingsDep, format: Annotated[str, Query(pattern="^(json|pem)$")] = "json") -> Any:
    signer = service.init_signer(settings.data_dir)
    pem = public_key_pem(signer.public_key)
    if format == "pem":
        return PlainTextResponse(pem, media_type="application/x-pem-file")
    return PublicKeyOut(key_id=signer.key_id, public_key_pem=pem, public_key_hex=raw_public_key(signer.public_key).hex())


@router.get("/heads/latest", response_model=SignedHeadOut)
def latest_head(session: SessionDep, settings: SettingsDep, _principal: PrincipalDep) -> SignedHeadOut:
    """A head signed over the whole log (signed now when the log grew since the last checkpoint)."""
    return _head_out(service.sign_head(session, signer=service.init_signer(settings.data_dir)))


@router.get("/events", response_model=list[EventOut])
def list_events(session: SessionDep, principal: PrincipalDep, page: PageDep, request: Request, response: Response,
                kind: Annotated[str | None, Query(max_length=100)] = None) -> list[EventOut]:
    rows = one_page(audit_views.visible_events(session, principal=principal, offset=page.offset, limit=page.probe,
                                               kind=kind, after=page.after), page, request, response,
                    key=lambda event: event.seq)
    return [EventOut(seq=r.seq, kind=r.kind, subject=r.subject, organisation_id=r.organisation_id,
                     leaf_hash=bytes(r.leaf_hash).hex(), event=service.event_of(r)) for r in rows]


@router.get("/events/{seq}/receipt")
def event_receipt(seq: int, session: SessionDep, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """The event, its inclusion proof and a signed head: checkable offline with the public key."""
    audit_views.visible_event(session, principal=principal, seq=seq)
    return service.issue_receipt(session, seq=seq, signer=service.init_signer(settings.data_dir))


@router.get("/outbox/{outbox_id}/receipt")
def outbox_receipt(outbox_id: int, session: SessionDep, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """The receipt of an event known by its outbox id, once sequenced: waits at most
    `receipt_wait_s` for the log, else 503 with Retry-After and the outbox id (ask again)."""
    return audit_views.visible_receipt_by_outbox(session, principal=principal, outbox_id=outbox_id,
                                                 wait_s=settings.receipt_wait_s,
                                                 signer=service.init_signer(settings.data_dir))


@router.get("/consistency", response_model=ConsistencyOut)
def consistency(session: SessionDep, _principal: PrincipalDep,
                first: Annotated[int, Query(ge=0, le=2**62)], second: Annotated[int, Query(ge=0, le=2**62)]
                ) -> ConsistencyOut:
    """RFC 9162 consistency proof that the tree of size `first` is a prefix of the tree of size `second`."""
    if first > second:
        raise InvalidProofRequest("first must not exceed second")
    proof = service.consistency(session, first=first, second=second)
    return ConsistencyOut(first=first, second=second, proof=[p.hex() for p in proof])
