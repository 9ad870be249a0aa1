"""Data products (数据产品): a supplier registers a product, uploads versions as content-addressed
bytes, and submits a version with its evidence to an assessor; the catalogue, product pages, the
disclosure list of certificates and the statistics read them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.exchange import ExchangeBlobRow, ExchangeProductRow, ExchangeVersionRow
from suanli.db.repositories import exchange as repo
from suanli.db.repositories import federation as federation_repo
from suanli.domain.errors import Forbidden
from suanli.domain.exchange import (
    DeliveryMode,
    EvidenceMissing,
    ExchangeConflict,
    ExchangeInvalid,
    ExchangeNotFound,
    PiLevel,
    PriceModel,
    ProductDraft,
    TraderRole,
    VersionStatus,
    check_draft,
    like_pattern,
    missing_evidence,
    search_text,
)
from suanli.domain.exchange.api_rows import api_rows
from suanli.domain.exchange.review import EVIDENCE_KINDS
from suanli.domain.organisations import Principal
from suanli.services.exchange.common import (
    audit,
    has_role,
    is_operator,
    may_see_version,
    product_for,
    require_trader,
    version_for,
)

MAX_CONTENT_BYTES = 50 * 1024 * 1024
LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


def create_product(session: Session, *, principal: Principal, draft: ProductDraft) -> ExchangeProductRow:
    require_trader(session, principal, TraderRole.SUPPLIER)
    draft = check_draft(draft)
    if draft.delivery_mode is DeliveryMode.COMPUTE and federation_repo.pool_by_names(
            session, draft.center or "", draft.pool or "") is None:
        raise ExchangeInvalid(f"pool {draft.center}/{draft.pool} does not exist", field="pool")
    fields = asdict(draft)
    columns = fields.pop("schema")
    fields.update(pi_level=draft.pi_level.value, delivery_mode=draft.delivery_mode.value,
                  price_model=draft.price_model.value)
    row = repo.add(session, ExchangeProductRow(
        supplier_organisation_id=principal.organisation_id, created_by=principal.user_id, columns=columns,
        search_text=search_text([draft.title, draft.description, draft.sector, draft.source]), **fields))
    audit(session, "exchange.product_created", f"exchange_product:{row.id}",
          {"title": row.title, "delivery_mode": row.delivery_mode, "price_model": row.price_model,
           "price_fen": row.price_fen}, principal.organisation_id)
    return row


def _own_product(session: Session, principal: Principal, product_id: int) -> ExchangeProductRow:
    product = repo.get_product(session, product_id)
    if product is None or product.supplier_organisation_id != principal.organisation_id:
        raise ExchangeNotFound(f"data product {product_id} not found")
    require_trader(session, principal, TraderRole.SUPPLIER)
    return product


def add_version(session: Session, *, principal: Principal, product_id: int, label: str, content: bytes,
                sha256: str | None = None) -> ExchangeVersionRow:
    """Store the bytes under their SHA-256; a declared digest that does not match is refused."""
    product = _own_product(session, principal, product_id)
    if not 1 <= len(label) <= 32 or not set(label) <= LABEL_CHARS:
        raise ExchangeInvalid("a version label has 1 to 32 letters, digits, '.', '-' or '_'", field="label")
    if not content or len(content) > MAX_CONTENT_BYTES:
        raise ExchangeInvalid(f"a version holds 1 to {MAX_CONTENT_BYTES} bytes", field="content")
    if product.delivery_mode == DeliveryMode.API.value:
        api_rows(content)  # every call serves these rows: a file no call could read is refused now
    actual = hashlib.sha256(content).hexdigest()
    if sha256 is not None and sha256.lower() != actual:
        raise ExchangeInvalid(f"the upload's SHA-256 is {actual}, not the declared {sha256}", field="sha256")
    if repo.version_by_label(session, product.id, label) is not None:
        raise ExchangeConflict(f"version {label} of product {product.id} exists already")
    if repo.blob(session, actual) is None:
        repo.add(session, ExchangeBlobRow(sha256=actual, size_bytes=len(content), content=content))
    row = repo.add(session, ExchangeVersionRow(product_id=product.id, label=label, sha256=actual,
                                               size_bytes=len(content), status=VersionStatus.DRAFT.value))
    audit(session, "exchange.version_added", f"exchange_version:{row.id}",
          {"product_id": product.id, "label": label, "sha256": actual, "size_bytes": len(content)},
          principal.organisation_id)
    return row


def submit_for_review(session: Session, *, principal: Principal, version_id: int, assessor_organisation_id: int,
                      evidence: Mapping[str, str]) -> ExchangeVersionRow:
    """Hand a draft to an approved assessor with the evidence its stages need; nothing is written
    when a required piece is missing."""
    product, version = version_for(session, principal, version_id, for_update=True)
    if product.supplier_organisation_id != principal.organisation_id:
        raise ExchangeNotFound(f"product version {version_id} not found")
    require_trader(session, principal, TraderRole.SUPPLIER)
    if version.status != VersionStatus.DRAFT.value:
        raise ExchangeConflict(f"version {version.label} is {version.status}, not a draft")
    unknown = sorted(set(evidence) - set(EVIDENCE_KINDS))
    if unknown:
        raise ExchangeInvalid(f"unknown evidence kinds: {', '.join(unknown)}", field="evidence")
    given = {k: v.strip() for k, v in evidence.items() if isinstance(v, str) and v.strip()}
    if any(len(v) > 2000 for v in given.values()):
        raise ExchangeInvalid("each piece of evidence has at most 2000 characters", field="evidence")
    missing = missing_evidence(PiLevel(product.pi_level), given)
    if missing:
        raise EvidenceMissing(f"required evidence missing (缺少必需的合规材料): {', '.join(missing)}", missing=missing)
    if assessor_organisation_id == product.supplier_organisation_id or not has_role(
            session, assessor_organisation_id, TraderRole.ASSESSOR):
        raise ExchangeInvalid("choose an approved assessor organisation other than your own",
                              field="assessor_organisation_id")
    version.status, version.evidence = VersionStatus.IN_REVIEW.value, given
    version.assessor_organisation_id, version.submitted_at = assessor_organisation_id, utcnow()
    session.flush()
    audit(session, "exchange.review_requested", f"exchange_version:{version.id}",
          {"product_id": product.id, "assessor": assessor_organisation_id, "evidence": sorted(given)},
          principal.organisation_id)
    return version


def get_product(session: Session, *, principal: Principal | None, product_id: int) -> ExchangeProductRow:
    return product_for(session, principal, product_id)


def visible_versions(session: Session, *, principal: Principal | None,
                     product: ExchangeProductRow) -> list[ExchangeVersionRow]:
    return [v for v in repo.versions_of(session, product.id) if may_see_version(session, principal, product, v)]


FILTERS = ("sector", "delivery_mode", "price_model", "pi_level")


def catalogue(session: Session, *, query: str = "", filters: Mapping[str, str | None] | None = None,
              offset: int = 0, limit: int = 50) -> Sequence[ExchangeProductRow]:
    """Listed products (with a registration certificate), searched in Chinese and filtered."""
    chosen = {k: v for k, v in (filters or {}).items() if v}
    if set(chosen) - set(FILTERS):
        raise ExchangeInvalid(f"filters are {', '.join(FILTERS)}", field="filters")
    for name, enum in (("delivery_mode", DeliveryMode), ("price_model", PriceModel), ("pi_level", PiLevel)):
        if name in chosen and chosen[name] not in {e.value for e in enum}:
            raise ExchangeInvalid(f"unknown {name} {chosen[name]!r}", field=name)
    return repo.search_products(session, pattern=like_pattern(query), filters=chosen, registered_only=True,
                                supplier_id=None, offset=offset, limit=limit)


def my_products(session: Session, *, principal: Principal) -> Sequence[ExchangeProductRow]:
    return repo.search_products(session, pattern=None, filters={}, registered_only=False,
                                supplier_id=None if is_operator(principal) else principal.organisation_id,
                                offset=0, limit=500)


def in_notice(session: Session) -> list[tuple[ExchangeProductRow, ExchangeVersionRow]]:
    """Versions under public notice (公示), for everyone to read and object to."""
    out = []
    for version in repo.versions_with_status(session, VersionStatus.IN_NOTICE.value):
        product = repo.get_product(session, version.product_id)
        assert product is not None
        out.append((product, version))
    return out


def disclosure(session: Session, *, offset: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """The public list of registered products and their certificates (登记公示)."""
    rows = repo.list_certificates(session, offset=offset, limit=limit)
    return [{"number": r.number, "product_id": r.product_id, **{k: r.document["body"][k] for k in (
        "title", "supplier", "version", "sha256", "delivery_mode", "issued_at")}} for r in rows]


def statistics(session: Session) -> dict[str, Any]:
    """Figures for the indicators page: products, trades, turnover."""
    return repo.statistics(session)


def require_owner(principal: Principal, product: ExchangeProductRow) -> None:
    if product.supplier_organisation_id != principal.organisation_id and not is_operator(principal):
        raise Forbidden("only the supplier does this")
