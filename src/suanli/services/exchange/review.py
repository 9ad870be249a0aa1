"""Compliance review (合规评估), public notice (公示) and registration certificates (登记证书).

The assessor chosen by the supplier passes or fails each required stage; when every stage passed the
version is publicly noticed until a deadline, during which anyone may object and the operator must
resolve each objection; after the deadline, with no objection open or upheld, the operator issues a
certificate signed with the exchange's key and appended to the transparency log. One version gets one
certificate (checked here and by a unique column)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.exchange import (
    ExchangeCertificateRow,
    ExchangeObjectionRow,
    ExchangeReviewStepRow,
    ExchangeVersionRow,
)
from suanli.db.repositories import exchange as repo
from suanli.domain.audit.canonical import normalise
from suanli.domain.audit.signing import Signer
from suanli.domain.errors import Forbidden
from suanli.domain.exchange import (
    ExchangeConflict,
    ExchangeInvalid,
    ExchangeNotFound,
    NoticeClosed,
    PiLevel,
    TraderRole,
    VersionStatus,
    certificate_body,
    notice_deadline,
    sign_certificate,
)
from suanli.domain.exchange.certificates import digest
from suanli.domain.exchange.review import MAX_NOTICE_DAYS, MIN_NOTICE_DAYS, NOTICE_DAYS, required_stages
from suanli.domain.organisations import Principal
from suanli.services.audit import receipt_of_reference
from suanli.services.exchange.common import (
    audit,
    org_name,
    placed,
    require_operator,
    require_trader,
    version_for,
)


def review_stage(session: Session, *, principal: Principal, version_id: int, stage: str, passed: bool,
                 note: str = "", notice_days: int = NOTICE_DAYS, now: datetime | None = None) -> ExchangeVersionRow:
    """The assessor's decision on one stage; a failed stage rejects the version, the last passed
    stage opens the public notice."""
    product, version = version_for(session, principal, version_id, for_update=True)
    if version.assessor_organisation_id != principal.organisation_id:
        raise ExchangeNotFound(f"product version {version_id} not found")
    require_trader(session, principal, TraderRole.ASSESSOR)
    if version.status != VersionStatus.IN_REVIEW.value:
        raise ExchangeConflict(f"version {version.label} is {version.status}, not in review")
    stages = required_stages(PiLevel(product.pi_level))
    if stage not in stages:
        raise ExchangeInvalid(f"stage must be one of {', '.join(stages)}", field="stage")
    if not MIN_NOTICE_DAYS <= notice_days <= MAX_NOTICE_DAYS:
        raise ExchangeInvalid(f"notice_days must be {MIN_NOTICE_DAYS} to {MAX_NOTICE_DAYS}", field="notice_days")
    done = {s.stage for s in repo.steps_of(session, version.id)}
    if stage in done:
        raise ExchangeConflict(f"stage {stage} was already decided")
    repo.add(session, ExchangeReviewStepRow(version_id=version.id, stage=stage, passed=passed, note=note[:2000],
                                            user_id=principal.user_id, organisation_id=principal.organisation_id))
    now = now or utcnow()
    if not passed:
        version.status, version.note = VersionStatus.REJECTED.value, f"{stage}: {note}"[:2000]
    elif done | {stage} >= set(stages):
        version.status, version.notice_starts_at = VersionStatus.IN_NOTICE.value, now
        version.notice_ends_at = notice_deadline(now, notice_days)
    session.flush()
    audit(session, "exchange.review_stage", f"exchange_version:{version.id}",
          {"stage": stage, "passed": passed, "status": version.status, "by": principal.user_id,
           "notice_ends_at": version.notice_ends_at}, product.supplier_organisation_id)
    return version


def lodge_objection(session: Session, *, principal: Principal | None, version_id: int, name: str, contact: str,
                    reason: str, now: datetime | None = None) -> ExchangeObjectionRow:
    """Anyone may object while the notice runs; after its deadline the objection is refused."""
    product, version = version_for(session, principal, version_id)
    if version.status != VersionStatus.IN_NOTICE.value or version.notice_ends_at is None:
        raise NoticeClosed(f"version {version.label} is not under public notice ({version.status})")
    if (now or utcnow()) >= version.notice_ends_at:
        raise NoticeClosed(f"the public notice ended at {version.notice_ends_at.isoformat()} (公示期已结束)",
                           deadline=version.notice_ends_at.isoformat())
    for value, field, high in ((name, "name", 200), (contact, "contact", 200), (reason, "reason", 5000)):
        if not 1 <= len(value.strip()) <= high or len(value) > high:
            raise ExchangeInvalid(f"{field} must have 1 to {high} characters", field=field)
    row = repo.add(session, ExchangeObjectionRow(version_id=version.id, name=name.strip(), contact=contact.strip(),
                                                 reason=reason.strip(),
                                                 user_id=principal.user_id if principal else None))
    audit(session, "exchange.objection_lodged", f"exchange_objection:{row.id}",
          {"version_id": version.id, "product_id": product.id}, product.supplier_organisation_id)
    return row


def resolve_objection(session: Session, *, principal: Principal, objection_id: int, uphold: bool,
                      resolution: str) -> ExchangeObjectionRow:
    """The operator's answer: an upheld objection rejects the version, a dismissed one lets it go on."""
    require_operator(principal)
    row = repo.get_objection(session, objection_id)
    if row is None:
        raise ExchangeNotFound(f"objection {objection_id} not found")
    if row.status != "open":
        raise ExchangeConflict(f"objection {objection_id} was already resolved ({row.status})")
    if not 1 <= len(resolution.strip()) <= 2000:
        raise ExchangeInvalid("resolution must have 1 to 2000 characters", field="resolution")
    version = repo.get_version(session, row.version_id, for_update=True)
    assert version is not None
    row.status, row.resolution = ("upheld" if uphold else "dismissed"), resolution.strip()
    row.resolved_by, row.resolved_at = principal.user_id, utcnow()
    if uphold and version.status == VersionStatus.IN_NOTICE.value:
        version.status, version.note = VersionStatus.REJECTED.value, f"objection {row.id}: {resolution}"[:2000]
    session.flush()
    audit(session, "exchange.objection_resolved", f"exchange_objection:{row.id}",
          {"status": row.status, "version_id": version.id, "version_status": version.status, "by": principal.user_id})
    return row


def certify(session: Session, *, principal: Principal, version_id: int, signer: Signer,
            now: datetime | None = None) -> ExchangeCertificateRow:
    """Issue the registration certificate of a version whose notice ended with no objection open."""
    require_operator(principal)
    product, version = version_for(session, principal, version_id, for_update=True)
    if repo.certificate_of(session, version.id) is not None:
        raise ExchangeConflict(f"version {version.label} already has a certificate (每个版本仅登记一次)")
    if version.status != VersionStatus.IN_NOTICE.value or version.notice_ends_at is None:
        raise ExchangeConflict(f"version {version.label} is {version.status}; only a noticed version is certified")
    now = now or utcnow()
    if now < version.notice_ends_at:
        raise ExchangeConflict(f"the public notice runs until {version.notice_ends_at.isoformat()}",
                               deadline=version.notice_ends_at.isoformat())
    if any(o.status == "open" for o in repo.objections_of(session, version.id)):
        raise ExchangeConflict("an objection is still open; resolve it first (存在未处理的异议)")
    number = f"SLDX-{now.year}-{repo.count_certificates(session) + 1:06d}"
    body = certificate_body(number=number, product_id=product.id, title=product.title,
                            supplier=org_name(session, product.supplier_organisation_id), version=version.label,
                            sha256=version.sha256, size_bytes=version.size_bytes, delivery_mode=product.delivery_mode,
                            pi_level=product.pi_level, licence=product.licence, issued_at=normalise(now, "issued_at"))
    document = sign_certificate(body, signer)
    # The receipt is made when the certificate is read (see `document`), once the sequencer placed
    # the event: the certificate keeps its outbox id (older ones their seq) and takes no log lock.
    document.update(placed(session, "exchange.certificate_issued", f"exchange_version:{version.id}",
                           {"number": number, "sha256": version.sha256, "certificate_sha256": digest(body),
                            "key_id": signer.key_id}, product.supplier_organisation_id))
    version.status = VersionStatus.REGISTERED.value
    product.registered = True
    return repo.add(session, ExchangeCertificateRow(version_id=version.id, product_id=product.id, number=number,
                                                    document=document, digest=digest(body),
                                                    issued_by=principal.user_id))


def review_queue(session: Session, *, principal: Principal) -> list[ExchangeVersionRow]:
    """Versions waiting for this assessor (all of them for the operator)."""
    if principal.role.value == "platform_operator":
        return list(repo.versions_with_status(session, VersionStatus.IN_REVIEW.value))
    require_trader(session, principal, TraderRole.ASSESSOR)
    return list(repo.versions_with_status(session, VersionStatus.IN_REVIEW.value,
                                          assessor_id=principal.organisation_id))


def steps(session: Session, *, principal: Principal | None, version_id: int) -> list[ExchangeReviewStepRow]:
    version_for(session, principal, version_id)
    return list(repo.steps_of(session, version_id))


def objections(session: Session, *, principal: Principal | None, version_id: int) -> list[ExchangeObjectionRow]:
    """Objections of a version: their text for the operator, supplier and assessor; counts only for others."""
    product, version = version_for(session, principal, version_id)
    if principal is None or principal.organisation_id not in (product.supplier_organisation_id,
                                                               version.assessor_organisation_id) and \
            principal.role.value != "platform_operator":
        raise Forbidden("objections are read by the operator, the supplier and the assessor")
    return list(repo.objections_of(session, version_id))


def open_objections(session: Session, *, principal: Principal) -> list[ExchangeObjectionRow]:
    require_operator(principal)
    return list(repo.open_objections(session))


def document(session: Session, *, row: ExchangeCertificateRow, signer: Signer, wait_s: float = 2.0) -> dict[str, Any]:
    """The certificate as handed out: body, signature and a receipt proving the log holds its issuance,
    against the log's newest head (signed now when none covers it yet, so no head is signed by any
    key but the serving one). Waits at most `wait_s` for the sequencer (else ReceiptPending)."""
    receipt = receipt_of_reference(session, reference=row.document, wait_s=wait_s, signer=signer)
    return {**row.document, "receipt": receipt}


def issued(row: ExchangeCertificateRow) -> dict[str, Any]:
    """The certificate as its issuing request answers it: body, signature and the outbox id of its
    issuance event instead of a receipt (the event is placed in the log after COMMIT; the receipt
    comes with the certificate read later)."""
    return dict(row.document)


def certificate(session: Session, *, version_id: int) -> ExchangeCertificateRow:
    row = repo.certificate_of(session, version_id)
    if row is None:
        raise ExchangeNotFound(f"version {version_id} has no certificate")
    return row


def certificate_by_number(session: Session, *, number: str) -> ExchangeCertificateRow:
    row = repo.certificate_by_number(session, number)
    if row is None:
        raise ExchangeNotFound(f"certificate {number} not found")
    return row
