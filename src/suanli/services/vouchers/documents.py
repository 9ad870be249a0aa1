"""Evidence as files (证明材料): the documents an application or a contract carries (contract, invoice,
electricity bill, third-party scale report, project approval), uploaded by the applicant or a party
to the contract and read by the reviewers.

The bytes are stored content-addressed under the data directory (`db.blobs`) and their SHA-256 is
published in the transparency log with the upload, so the file a reviewer opened can be matched byte
for byte with the one the decision was taken on. A document is visible to its owner's organisation,
to the parties of its contract and to the officers; anyone else gets the 404 of a missing one. A
review stage may require named document types (`review_stages[].requires`); the decision is refused
without them (rule `review.documents`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from suanli.db.blobs import BlobStore
from suanli.db.models.vouchers import VoucherDocumentRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers.bounds import check_member
from suanli.domain.vouchers.document_files import document_type
from suanli.domain.vouchers.errors import DocumentTooLarge, VoucherConflict, VoucherNotFound
from suanli.domain.vouchers.program import Evidence
from suanli.services.vouchers.common import placed_event
from suanli.services.vouchers.contracts import readable_contract

MAX_DOCUMENT_BYTES = 1_000_000
UPLOADERS = (Role.ORG_ADMIN, Role.PROVIDER_ADMIN)
OPEN_APPLICATION = ("submitted", "in_review", "needs_documents")


@dataclass(frozen=True, slots=True)
class Upload:
    """One file as the edge received it; the service checks every field."""

    kind: str
    filename: str
    content_type: str
    data: bytes
    application_id: int | None = None
    contract_id: int | None = None


def _filename(name: str) -> str:
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not base or len(base) > 255 or any(unicodedata.category(ch).startswith("C") for ch in base):
        raise InvalidInput("the file needs a name of at most 255 printable characters", field="file")
    return base


def _content_type(value: str) -> str:
    value = (value or "application/octet-stream").split(";", 1)[0].strip().lower()
    if len(value) > 127 or "/" not in value:
        raise InvalidInput("the file's media type is not valid", field="file")
    return value


def _owner_of_subject(session: Session, upload: Upload, actor: Principal) -> int:
    """The organisation the document belongs to, after checking the actor may attach it there."""
    if (upload.application_id is None) == (upload.contract_id is None):
        raise InvalidInput("a document belongs to one application or one contract", field="application_id")
    if upload.application_id is not None:
        application = repo.get_application(session, upload.application_id, for_update=True)
        if application is None or not actor.may_read_organisation(application.organisation_id):
            raise VoucherNotFound(f"application {upload.application_id} does not exist")
        if actor.organisation_id != application.organisation_id or actor.role not in UPLOADERS:
            raise Forbidden("only the applicant's administrator uploads its evidence")
        if application.status not in OPEN_APPLICATION:
            raise VoucherConflict(f"application {application.id} is already {application.status}",
                                  rule="documents.closed")
        return application.organisation_id
    assert upload.contract_id is not None
    contract = readable_contract(session, contract_id=upload.contract_id, actor=actor)
    if actor.role not in UPLOADERS or actor.organisation_id not in (contract.buyer_organisation_id,
                                                                    contract.provider_organisation_id):
        raise Forbidden("only an administrator of a party to the contract uploads its evidence")
    return int(actor.organisation_id)


def upload_document(session: Session, *, upload: Upload, actor: Principal, data_dir: Path,
                    max_bytes: int = MAX_DOCUMENT_BYTES) -> VoucherDocumentRow:
    """Store one evidence file content-addressed and record it; its SHA-256 goes into the audit log."""
    kind = check_member("kind", upload.kind, Evidence)
    owner = _owner_of_subject(session, upload, actor)
    if not isinstance(upload.data, bytes) or not upload.data:
        raise InvalidInput("the file is empty", field="file")
    if len(upload.data) > max_bytes:
        raise DocumentTooLarge(f"the file has {len(upload.data)} bytes; at most {max_bytes} are accepted",
                               field="file", limit=max_bytes)
    filename = _filename(upload.filename)
    content_type = document_type(upload.data, filename=filename, claimed=_content_type(upload.content_type)).media_type
    digest = BlobStore(data_dir).put(upload.data)
    row = repo.add(session, VoucherDocumentRow(
        organisation_id=owner, application_id=upload.application_id, contract_id=upload.contract_id,
        kind=kind.value, filename=filename, content_type=content_type, size_bytes=len(upload.data), sha256=digest,
        uploaded_by=actor.user_id))
    subject = (f"voucher_application:{upload.application_id}" if upload.application_id is not None
               else f"voucher_contract:{upload.contract_id}")
    row.receipt = placed_event(session, "voucher.document_uploaded", subject,
                              {"document": row.id, "kind": kind.value, "sha256": digest, "size_bytes": len(upload.data),
                               "filename": filename, "by": actor.user_id}, owner)
    session.flush()
    return row


def list_documents(session: Session, *, actor: Principal, application_id: int | None = None,
                   contract_id: int | None = None) -> Sequence[VoucherDocumentRow]:
    """The documents of an application or a contract the actor may read (else the subject's 404)."""
    if (application_id is None) == (contract_id is None):
        raise InvalidInput("name one application or one contract", field="application_id")
    if application_id is not None:
        application = repo.get_application(session, application_id)
        if application is None or not actor.may_read_organisation(application.organisation_id):
            raise VoucherNotFound(f"application {application_id} does not exist")
        return repo.documents_of(session, application_id=application_id)
    assert contract_id is not None
    readable_contract(session, contract_id=contract_id, actor=actor)
    return repo.documents_of(session, contract_id=contract_id)


def get_document(session: Session, *, document_id: int, actor: Principal) -> VoucherDocumentRow:
    """A document its readers may see: the owner, the contract's parties, the officers; else 404."""
    row = repo.get_document(session, document_id)
    if row is not None and _may_read(session, row, actor):
        return row
    raise VoucherNotFound(f"document {document_id} does not exist")


def _may_read(session: Session, row: VoucherDocumentRow, actor: Principal) -> bool:
    if actor.may_read_organisation(row.organisation_id):
        return True
    if row.contract_id is not None:
        contract = repo.get_contract(session, row.contract_id)
        return contract is not None and actor.organisation_id in (contract.buyer_organisation_id,
                                                                  contract.provider_organisation_id)
    return False


def document_content(session: Session, *, document_id: int, actor: Principal,
                     data_dir: Path) -> tuple[VoucherDocumentRow, bytes]:
    """The document and its bytes, checked against the recorded SHA-256 on the way out."""
    row = get_document(session, document_id=document_id, actor=actor)
    store = BlobStore(data_dir)
    try:
        data = store.get(row.sha256)
    except FileNotFoundError:
        raise VoucherNotFound(f"the file of document {document_id} is missing from the store") from None
    if BlobStore.digest(data) != row.sha256:
        raise VoucherConflict(f"the stored file of document {document_id} no longer matches its SHA-256",
                              rule="document.integrity")
    return row, data


def uploaded_kinds(session: Session, application_id: int) -> frozenset[Evidence]:
    """The document types uploaded to an application (what a stage's `requires` is checked against)."""
    return frozenset(Evidence(d.kind) for d in repo.documents_of(session, application_id=application_id))


def check_store(session: Session, *, data_dir: Path) -> tuple[int, list[str]]:
    """Every recorded document's file is in the store with the bytes of its SHA-256 (`admin verify`):
    the number of documents checked and one line per problem."""
    store, problems, checked = BlobStore(data_dir), [], 0
    for row in repo.all_documents(session):
        checked += 1
        try:
            data = store.get(row.sha256)
        except FileNotFoundError:
            problems.append(f"document {row.id} ({row.filename}): its file {row.sha256} is missing from the store")
            continue
        if BlobStore.digest(data) != row.sha256:
            problems.append(f"document {row.id} ({row.filename}): the stored bytes no longer match {row.sha256}")
    return checked, problems
