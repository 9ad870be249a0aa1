"""Orders under a contract, their clearing and settlement through the ledger (buyer owes the price,
the exchange keeps its fee, the supplier is owed the rest; a voucher for data pays its share), and
the three deliveries: a dataset download of content-addressed bytes, metered calls with a scoped API
key, and compute next to the data (the buyer's job runs on the data's center; only outputs leave)."""

from __future__ import annotations

import hashlib
import secrets
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.exchange import (
    ExchangeApiCallRow,
    ExchangeApiKeyRow,
    ExchangeCertificateRow,
    ExchangeComputeRunRow,
    ExchangeOrderRow,
    ExchangeProductRow,
)
from suanli.db.models.jobs import JobRow
from suanli.db.repositories import exchange as repo
from suanli.domain.audit.canonical import canonical_json, normalise
from suanli.domain.errors import Unauthenticated
from suanli.domain.exchange import (
    ContentTampered,
    DeliveryMode,
    ExchangeInvalid,
    ExchangeNotFound,
    PriceModel,
    QuotaExhausted,
    TraderRole,
    order_total,
)
from suanli.domain.exchange.api_rows import api_rows
from suanli.domain.jobs import JobSpec
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.money import Fen, percentage_share
from suanli.domain.organisations import Principal
from suanli.domain.resources import ResourceRequest
from suanli.services import ledger
from suanli.services.exchange import vouchers as voucher_seam
from suanli.services.exchange.common import audit, is_operator, org_name, placed, require_trader
from suanli.services.jobs import submit_job

EXCHANGE_FEE_BP = 300  # the exchange's fee: 3% of the order, rounded half up (money.percentage_share)
SUBSCRIPTION_DAYS = 30
MAX_API_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Placed:
    order: ExchangeOrderRow
    api_key: str | None = None  # shown once, only its hash is kept


def place_order(session: Session, *, principal: Principal, product_id: int, quantity: int = 1,
                voucher_program_id: int | None = None, accept_licence: bool = False) -> Placed:
    require_trader(session, principal, TraderRole.BUYER)
    product = repo.get_product(session, product_id)
    cert = repo.latest_certificate(session, product_id) if product is not None else None
    if product is None or cert is None:
        raise ExchangeNotFound(f"data product {product_id} is not listed")
    if product.supplier_organisation_id == principal.organisation_id:
        raise ExchangeInvalid("an organisation does not buy its own product", field="product_id")
    if not accept_licence:
        raise ExchangeInvalid("accept the licence terms to sign the contract (请先同意许可条款)", field="accept_licence")
    if voucher_program_id is not None:
        voucher_seam.check_program(session, voucher_program_id)
    total = order_total(int(product.price_fen), quantity)
    fee = percentage_share(total, EXCHANGE_FEE_BP)
    contract = _contract(session, principal, product, cert, quantity, total, fee)
    now = utcnow()
    order = repo.add(session, ExchangeOrderRow(
        product_id=product.id, version_id=cert.version_id, buyer_organisation_id=principal.organisation_id,
        user_id=principal.user_id, contract=contract, contract_sha256=hashlib.sha256(canonical_json(contract)).hexdigest(),
        delivery_mode=product.delivery_mode, quantity=quantity, used=0, unit_price_fen=product.price_fen,
        total_fen=total, fee_fen=fee, subsidy_fen=0, voucher_program_id=voucher_program_id, status="settled",
        expires_at=now + timedelta(days=SUBSCRIPTION_DAYS * quantity)
        if product.price_model == PriceModel.SUBSCRIPTION.value else None))
    order.transfer_id = _settle(session, order, product)
    if voucher_program_id is not None and total > 0:
        order.subsidy_fen = voucher_seam.subsidise(session, buyer=principal, program_id=voucher_program_id,
                                                   order_id=order.id, amount_fen=total, sector=product.sector,
                                                   seller_organisation_id=product.supplier_organisation_id,
                                                   signed_on=now.date())
    key = _issue_key(session, order) if product.delivery_mode == DeliveryMode.API.value else None
    order.receipt = placed(session, "exchange.order_settled", f"exchange_order:{order.id}",
                          {"product_id": product.id, "contract_sha256": order.contract_sha256, "total_fen": total,
                           "fee_fen": fee, "subsidy_fen": order.subsidy_fen, "quantity": quantity},
                          principal.organisation_id)
    return Placed(order, key)


def _contract(session: Session, principal: Principal, product: ExchangeProductRow, cert: ExchangeCertificateRow,
              quantity: int, total: Fen, fee: Fen) -> dict[str, Any]:
    body = cert.document["body"]
    contract: dict[str, Any] = normalise({"product_id": product.id, "title": product.title, "certificate": cert.number,
                      "version": body["version"], "sha256": body["sha256"], "licence": product.licence,
                      "price_model": product.price_model, "unit_price_fen": product.price_fen, "quantity": quantity,
                      "total_fen": total, "fee_fen": fee, "buyer": org_name(session, principal.organisation_id),
                      "supplier": body["supplier"], "signed_by": principal.username, "signed_at": utcnow()})
    return contract


def _account(session: Session, purpose: AccountPurpose, kind: OwnerKind, owner: int | None, scope: str = "") -> int:
    return ledger.open_account(session, purpose=purpose, owner_kind=kind, owner_id=owner, scope=scope).id


def _settle(session: Session, order: ExchangeOrderRow, product: ExchangeProductRow) -> int | None:
    """Clearing (清算) in one balanced transfer: the buyer owes the total, the supplier is owed the
    total less the exchange's fee, the fee is the exchange's income."""
    if order.total_fen <= 0:
        return None
    buyer = _account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, order.buyer_organisation_id)
    supplier = _account(session, AccountPurpose.PROVIDER_PAYABLE, OwnerKind.ORGANISATION,
                        product.supplier_organisation_id)
    legs = [Leg(buyer, order.total_fen), Leg(supplier, -(order.total_fen - order.fee_fen))]
    if order.fee_fen:
        legs.append(Leg(_account(session, AccountPurpose.PLATFORM_FEE_INCOME, OwnerKind.PLATFORM, None, "exchange"),
                        -order.fee_fen))
    result = ledger.transfer(session, idempotency_key=f"exchange:order:{order.id}", legs=legs,
                             memo=f"data order {order.id}: {product.title}"[:200], source_kind="exchange_order",
                             source_id=str(order.id))
    return result.id


def _issue_key(session: Session, order: ExchangeOrderRow) -> str:
    key = "sdx_" + secrets.token_urlsafe(24)
    repo.add(session, ExchangeApiKeyRow(order_id=order.id, product_id=order.product_id,
                                        key_sha256=hashlib.sha256(key.encode()).hexdigest(), prefix=key[:10]))
    return key


def get_order(session: Session, *, principal: Principal, order_id: int) -> ExchangeOrderRow:
    """The buyer's own order (the supplier and the operator see it too); anyone else gets a 404."""
    order = repo.get_order(session, order_id)
    product = repo.get_product(session, order.product_id) if order is not None else None
    if order is None or product is None or not (
            is_operator(principal) or principal.organisation_id in (order.buyer_organisation_id,
                                                                    product.supplier_organisation_id)):
        raise ExchangeNotFound(f"order {order_id} not found")
    return order


def list_orders(session: Session, *, principal: Principal, as_supplier: bool = False) -> list[ExchangeOrderRow]:
    if is_operator(principal):
        return list(repo.list_orders(session))
    if as_supplier:
        return list(repo.list_orders(session, supplier_id=principal.organisation_id))
    return list(repo.list_orders(session, buyer_id=principal.organisation_id))


def _buyers_order(session: Session, principal: Principal, order_id: int, mode: DeliveryMode) -> ExchangeOrderRow:
    order = repo.get_order(session, order_id, for_update=True)
    if order is None or order.buyer_organisation_id != principal.organisation_id:
        raise ExchangeNotFound(f"order {order_id} not found")  # a non-buyer learns nothing
    if order.delivery_mode != mode.value:
        raise ExchangeNotFound(f"order {order_id} has no {mode.value} delivery")
    return order


def _use(order: ExchangeOrderRow, now: datetime, product: ExchangeProductRow) -> None:
    """Count one use against the order: per download / per call within the quantity bought, a
    subscription until it expires."""
    if product.price_model == PriceModel.SUBSCRIPTION.value:
        if order.expires_at is not None and now >= order.expires_at:
            raise QuotaExhausted(f"the subscription of order {order.id} expired at {order.expires_at.isoformat()}")
        return
    if order.used >= order.quantity:
        raise QuotaExhausted(f"order {order.id} has used all {order.quantity} of its {product.price_model} quota "
                             "(额度已用完)")
    order.used += 1


def _content(session: Session, sha256: str) -> bytes:
    """The stored bytes, re-hashed before they leave: storage that was changed is refused, not served."""
    blob = repo.blob(session, sha256)
    if blob is None:
        raise ExchangeNotFound("the product's content is missing")
    content = bytes(blob.content)
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ContentTampered(f"the stored content no longer hashes to {sha256}; delivery refused (数据已被篡改)",
                              sha256=sha256)
    return content


@dataclass(frozen=True, slots=True)
class Download:
    content: bytes
    sha256: str
    filename: str
    certificate: dict[str, Any]


def download(session: Session, *, principal: Principal, order_id: int) -> Download:
    order = _buyers_order(session, principal, order_id, DeliveryMode.DATASET)
    product = repo.get_product(session, order.product_id)
    cert = repo.certificate_of(session, order.version_id)
    assert product is not None and cert is not None
    sha = cert.document["body"]["sha256"]
    content = _content(session, sha)
    _use(order, utcnow(), product)
    session.flush()
    audit(session, "exchange.downloaded", f"exchange_order:{order.id}", {"sha256": sha, "used": order.used},
          principal.organisation_id)
    return Download(content, sha, f"product-{product.id}-{cert.document['body']['version']}.bin", cert.document)


def api_call(session: Session, *, key: str, product_id: int, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """One metered call of an API product with the order's scoped key: rows of the certified version."""
    if not key or len(key) > 200:
        raise Unauthenticated("send the order's data key in X-Exchange-Key")
    row = repo.api_key(session, hashlib.sha256(key.encode()).hexdigest())
    if row is None or row.revoked:
        raise Unauthenticated("unknown or revoked data key")
    if row.product_id != product_id:
        raise ExchangeNotFound(f"the key is not scoped to product {product_id}")
    if not 0 <= offset <= 10_000_000 or not 1 <= limit <= MAX_API_ROWS:
        raise ExchangeInvalid(f"offset >= 0 and 1 <= limit <= {MAX_API_ROWS}", field="limit")
    order = repo.get_order(session, row.order_id, for_update=True)
    product = repo.get_product(session, product_id)
    cert = repo.certificate_of(session, order.version_id) if order is not None else None
    assert order is not None and product is not None and cert is not None
    _use(order, utcnow(), product)
    records = api_rows(_content(session, cert.document["body"]["sha256"]))
    page = records[offset:offset + limit]
    repo.add(session, ExchangeApiCallRow(order_id=order.id, rows=len(page), offset=offset))
    audit(session, "exchange.api_called", f"exchange_order:{order.id}", {"rows": len(page), "used": order.used},
          order.buyer_organisation_id)
    return {"product_id": product_id, "offset": offset, "total": len(records), "rows": page,
            "calls_used": order.used, "calls_bought": order.quantity}


def run_compute(session: Session, *, principal: Principal, order_id: int, command: str, time_limit_s: int,
                data_dir: Path) -> JobRow:
    """Run the buyer's job on the pool where the data lies: the data is placed in the center's storage
    and named by $SUANLI_DATASET; the buyer receives the job's outputs, never a download."""
    order = _buyers_order(session, principal, order_id, DeliveryMode.COMPUTE)
    product = repo.get_product(session, order.product_id)
    cert = repo.certificate_of(session, order.version_id)
    assert product is not None and cert is not None
    sha = cert.document["body"]["sha256"]
    content = _content(session, sha)
    _use(order, utcnow(), product)
    path = _place_next_to_compute(data_dir, product.center or "", sha, content)
    wrapped = f"export SUANLI_DATASET={shlex.quote(str(path))}; {command}"
    job = submit_job(session, principal=principal, spec=JobSpec(
        name=f"data-{order.id}", command=wrapped, resources=ResourceRequest(devices=1),
        time_limit_s=time_limit_s, center=product.center, pool=product.pool))
    repo.add(session, ExchangeComputeRunRow(order_id=order.id, job_id=job.id))
    audit(session, "exchange.compute_run", f"exchange_order:{order.id}",
          {"job_id": job.id, "center": product.center, "sha256": sha}, principal.organisation_id)
    return job


def _place_next_to_compute(data_dir: Path, center: str, sha256: str, content: bytes) -> Path:
    """The center's copy of the data, named by its hash (written once, read-only)."""
    folder = data_dir / "exchange" / "centers" / center
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sha256
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        path.write_bytes(content)
        path.chmod(0o444)
    return path


def compute_runs(session: Session, *, principal: Principal, order_id: int) -> list[int]:
    order = get_order(session, principal=principal, order_id=order_id)
    return [r.job_id for r in repo.runs_of(session, order.id)]


def invoice(session: Session, *, principal: Principal, order_id: int) -> dict[str, Any]:
    """The order's invoice (发票信息): the line, the voucher's share and what the buyer owes."""
    order = get_order(session, principal=principal, order_id=order_id)
    contract = order.contract
    return {"number": f"SLDX-INV-{order.id:08d}", "order_id": order.id, "buyer": contract["buyer"],
            "seller": contract["supplier"], "issued_at": normalise(order.created_at, "issued_at"),
            "lines": [{"item": contract["title"], "certificate": contract["certificate"],
                       "price_model": contract["price_model"], "quantity": order.quantity,
                       "unit_price_fen": order.unit_price_fen, "amount_fen": order.total_fen}],
            "total_fen": order.total_fen, "voucher_fen": order.subsidy_fen,
            "due_fen": order.total_fen - order.subsidy_fen, "exchange_fee_fen": order.fee_fen,
            "contract_sha256": order.contract_sha256}
