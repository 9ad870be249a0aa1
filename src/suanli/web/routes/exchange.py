"""Pages of the data exchange (数据交易所): the public catalogue with Chinese search, product pages
with their certificate, the public notice and its objection form, the disclosure list and figures;
for traders their roles, products, versions and orders (download, data key, compute runs); the
assessor's review queue; the operator's desk (roles, objections, certificates). Every form posts to a
service and re-renders with the refusal in the reader's language."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError
from suanli.domain.exchange import (
    DeliveryMode,
    ExchangeInvalid,
    PiLevel,
    PriceModel,
    ProductDraft,
    TraderRole,
)
from suanli.domain.exchange.review import EVIDENCE_KINDS, required_stages
from suanli.domain.organisations import Principal, Role
from suanli.services import exchange as service
from suanli.services.audit import init_signer
from suanli.services.exchange.common import org_name
from suanli.services.exchange.products import MAX_CONTENT_BYTES
from suanli.web import i18n, problems
from suanli.web.common import (
    OptionalViewerDep,
    SessionDep,
    ViewerDep,
    form,
    form_with_file,
    form_yuan,
    problem_text,
    redirect,
    render,
    require,
)
from suanli.web.i18n import N_

router = APIRouter(include_in_schema=False)
TRADERS = (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN)

LABELS: dict[str, str] = {
    "supplier": N_("Data supplier"), "buyer": N_("Data buyer"), "delivery": N_("Delivery service"),
    "assessor": N_("Compliance assessor"), "intermediary": N_("Data intermediary"),
    "pending": N_("Pending"), "approved": N_("Approved"), "rejected": N_("Rejected"),
    "draft": N_("Draft"), "in_review": N_("In compliance review"), "in_notice": N_("Under public notice"),
    "registered": N_("Registered"), "open": N_("Open"), "upheld": N_("Upheld"), "dismissed": N_("Dismissed"),
    "settled": N_("Settled"),
    "dataset": N_("Dataset download"), "api": N_("API access"), "compute": N_("Privacy-preserving compute"),
    "per_download": N_("Per download"), "per_call": N_("Per call"), "subscription": N_("Monthly subscription"),
    "none": N_("No personal information"), "deidentified": N_("De-identified"),
    "personal": N_("Personal information"), "sensitive": N_("Sensitive personal information"),
    "source_legality": N_("Source legality"), "authorisation": N_("Authorisation"),
    "pi_handling": N_("Personal-information handling"), "personal_information": N_("Personal-information handling"),
    "security_level": N_("Security level"),
}
PROBLEMS: dict[str, str] = {
    "exchange-evidence-missing": N_("Required compliance evidence is missing."),
    "exchange-notice-closed": N_("The public notice period is over; objections are no longer accepted."),
    "exchange-content-tampered": N_("The stored content no longer matches its SHA-256; delivery refused."),
    "exchange-quota-exhausted": N_("This order's quota is used up."),
    "exchange-not-found": N_("Not found."),
    "exchange-conflict": N_("This cannot be done in the current state."),
    "exchange-invalid": N_("Please check the form."),
    "forbidden": N_("Your organisation is not approved for this role at the exchange."),
}


def _xl(request: Request) -> Callable[[Any], str]:
    gettext = i18n.translator(i18n.language(request))
    return lambda value: gettext(LABELS.get(str(value), str(value)))


FIELDS: dict[str, str] = {
    "title": N_("Title"), "description": N_("Description"), "sector": N_("Sector"), "source": N_("Data source"),
    "legal_basis": N_("Legal basis"), "update_frequency": N_("Update frequency"), "licence": N_("Licence terms"),
    "accept_licence": N_("I accept the licence terms and sign the contract"), "price_fen": N_("Price (yuan)"),
    "price_model": N_("Price model"), "delivery_mode": N_("Delivery mode"), "pi_level": N_("Personal information"),
    "center": N_("Center and pool where the data lies (compute delivery)"),
    "pool": N_("Center and pool where the data lies (compute delivery)"), "label": N_("Version label"),
    "content": N_("Data file"), "sha256": N_("Data file"), "assessor_organisation_id": N_("Assessor"),
    "quantity": N_("Quantity (downloads, calls or months)"), "sample": N_("Sample"), "name": N_("Your name"),
    "contact": N_("Contact"), "reason": N_("Reason"), "role": N_("Apply for a role"), "product_id": N_("Product"),
    "resolution": N_("Resolution"), "stage": N_("Note"), "evidence": N_("Required compliance evidence is missing."),
}


def _refusal(request: Request, exc: SuanliError) -> str:
    """The refusal in the reader's language: the problem's own message, naming the field or the
    missing evidence; a refusal from another capability keeps its half in this language."""
    lang = i18n.language(request)
    gettext = i18n.translator(lang)
    known = problems.specific(problem_text(exc.detail, lang), lang, fields=FIELDS, codes=LABELS)
    if known is not None:  # the refusal's own figures (a limit, a version, a date); a form's says so first
        check = exc.slug == "exchange-invalid" or exc.slug not in PROBLEMS
        return (gettext("Please check the form.") + " " + known) if check else known
    if exc.slug not in PROBLEMS:
        return gettext("Please check the form.") + " " + problem_text(exc.detail, lang)
    headline = gettext(PROBLEMS[exc.slug])
    missing = exc.extra.get("missing")
    if missing:
        return headline + " " + "、".join(gettext(LABELS.get(m, m)) for m in missing)
    field = exc.extra.get("field")
    return headline + (f" {gettext(FIELDS[field])}" if field in FIELDS else "")


def _page(request: Request, template: str, viewer: Principal | None, status: int = 200, **context: Any) -> Response:
    return render(request, f"exchange/{template}", status, viewer=viewer, xl=_xl(request), **context)


# --- public pages ------------------------------------------------------------------------------------------


@router.get("/exchange")
def catalogue(request: Request, session: SessionDep, viewer: OptionalViewerDep, q: str = "", sector: str = "",
              delivery_mode: str = "") -> Response:
    try:
        products = service.catalogue(session, query=q[:100], filters={"sector": sector[:64] or None,
                                                                     "delivery_mode": delivery_mode or None})
        error = None
    except SuanliError as exc:
        products, error = [], _refusal(request, exc)
    return _page(request, "catalogue.html", viewer, 422 if error else 200, products=products, q=q, sector=sector,
                 delivery_mode=delivery_mode, modes=[m.value for m in DeliveryMode], error=error,
                 notices=service.in_notice(session), stats=service.statistics(session))


def _product_context(session: Session, viewer: Principal | None, product_id: int) -> dict[str, Any]:
    product = service.get_product(session, principal=viewer, product_id=product_id)
    versions = service.visible_versions(session, principal=viewer, product=product)
    certificates = {}
    for v in versions:
        if v.status == "registered":
            certificates[v.id] = service.certificate(session, version_id=v.id).document
    can_buy = viewer is not None and viewer.role in TRADERS and product.registered and \
        viewer.organisation_id != product.supplier_organisation_id
    return {"product": product, "versions": versions, "certificates": certificates, "can_buy": can_buy}


@router.get("/exchange/products/{product_id}")
def product_page(request: Request, product_id: int, session: SessionDep, viewer: OptionalViewerDep) -> Response:
    return _page(request, "product.html", viewer, **_product_context(session, viewer, product_id))


@router.get("/exchange/disclosure")
def disclosure(request: Request, session: SessionDep, viewer: OptionalViewerDep) -> Response:
    return _page(request, "disclosure.html", viewer, rows=service.disclosure(session),
                 stats=service.statistics(session))


@router.post("/exchange/versions/{version_id}/objections")
async def lodge_objection(request: Request, version_id: int, session: SessionDep,
                          viewer: OptionalViewerDep) -> Response:
    fields = await form(request)
    return await run_in_threadpool(_object, request, session, viewer, version_id, fields)


def _object(request: Request, session: Session, viewer: Principal | None, version_id: int,
            fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    product_id = int(fields.get("product_id") or 0)
    try:
        with session.begin_nested():
            service.lodge_objection(session, principal=viewer, version_id=version_id, name=fields.get("name", ""),
                                    contact=fields.get("contact", ""), reason=fields.get("reason", ""))
    except SuanliError as exc:
        return _page(request, "product.html", viewer, exc.status, error=_refusal(request, exc), values=fields,
                     **_product_context(session, viewer, product_id))
    return _page(request, "product.html", viewer, notice=gettext("Your objection was lodged; the operator will "
                                                                  "resolve it."),
                 **_product_context(session, viewer, product_id))


# --- traders -------------------------------------------------------------------------------------------------


def _my_context(session: Session, viewer: Principal) -> dict[str, Any]:
    return {"memberships": service.list_memberships(session, principal=viewer),
            "products": service.my_products(session, principal=viewer) if viewer.role in TRADERS else [],
            "versions": {p.id: service.visible_versions(session, principal=viewer, product=p)
                         for p in service.my_products(session, principal=viewer)} if viewer.role in TRADERS else {},
            "orders": service.list_orders(session, principal=viewer), "assessors": service.approved_assessors(session),
            "roles": [r.value for r in TraderRole], "evidence_kinds": EVIDENCE_KINDS,
            "pi_levels": [p.value for p in PiLevel], "modes": [m.value for m in DeliveryMode],
            "price_models": [p.value for p in PriceModel]}


def _my(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: Any) -> Response:
    return _page(request, "my.html", viewer, status, **_my_context(session, viewer), **extra)


@router.get("/exchange/my")
def my_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    return _my(request, session, viewer)


def _act(request: Request, session: Session, viewer: Principal, fields: dict[str, str],
         action: Callable[[], Any], done: str, then: Callable[..., Response]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            result = action()
    except (SuanliError, ValueError) as exc:
        if not isinstance(exc, SuanliError):  # a choice outside its list, a number that is not one
            exc = ExchangeInvalid(str(exc))
        return then(request, session, viewer, exc.status, error=_refusal(request, exc), values=fields)
    return then(request, session, viewer, notice=gettext(done), result=result)


@router.post("/exchange/roles")
async def apply_for_role(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    f = await form(request)
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.apply_for_role(
        session, principal=viewer, role=f.get("role", ""), statement=f.get("statement", "")[:2000]),
        N_("Your application for the role was submitted."), _my)


def _price(text: str) -> int:
    try:
        return form_yuan(text)
    except SuanliError:
        raise ExchangeInvalid("the price is yuan with at most two decimals", field="price_fen") from None


@router.post("/exchange/products")
async def create_product(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    f = await form(request)

    def create() -> Any:
        draft = ProductDraft(
            title=f.get("title", ""), description=f.get("description", ""), sector=f.get("sector", ""),
            source=f.get("source", ""), legal_basis=f.get("legal_basis", ""), pi_level=PiLevel(f.get("pi_level", "")),
            update_frequency=f.get("update_frequency", ""), delivery_mode=DeliveryMode(f.get("delivery_mode", "")),
            price_model=PriceModel(f.get("price_model", "")), price_fen=_price(f.get("price_yuan", "")),
            licence=f.get("licence", ""), sample=f.get("sample", ""), center=f.get("center") or None,
            pool=f.get("pool") or None)
        return service.create_product(session, principal=viewer, draft=draft)

    return await run_in_threadpool(_act, request, session, viewer, f, create, N_("The product was registered."), _my)


@router.post("/exchange/products/{product_id}/versions")
async def add_version(request: Request, product_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    fields, file = await form_with_file(request, field="content", max_bytes=MAX_CONTENT_BYTES)
    content, label = file.data, fields.get("label") or ""
    return await run_in_threadpool(_act, request, session, viewer, {"label": label}, lambda: service.add_version(
        session, principal=viewer, product_id=product_id, label=label, content=content),
        N_("The version was uploaded."), _my)


@router.post("/exchange/versions/{version_id}/submit")
async def submit(request: Request, version_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    f = await form(request)
    evidence = {k: f.get(f"evidence_{k}", "") for k in EVIDENCE_KINDS}
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.submit_for_review(
        session, principal=viewer, version_id=version_id, assessor_organisation_id=int(f.get("assessor") or 0),
        evidence=evidence), N_("The version was submitted for compliance review."), _my)


@router.post("/exchange/orders")
async def place_order(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    f = await form(request)
    product_id = int(f.get("product_id") or 0)

    def order() -> Any:
        quantity = int(f.get("quantity") or 1)
        program = int(f["voucher_program_id"]) if f.get("voucher_program_id") else None
        return service.place_order(session, principal=viewer, product_id=product_id, quantity=quantity,
                                   voucher_program_id=program, accept_licence=f.get("accept_licence") == "yes")

    def then(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: Any) -> Response:
        if status != 200:
            return _page(request, "product.html", viewer, status, **extra,
                         **_product_context(session, viewer, product_id))
        return _my(request, session, viewer, api_key=extra["result"].api_key, **extra)

    return await run_in_threadpool(_act, request, session, viewer, f, order, N_("The order was placed and settled."),
                                   then)


@router.get("/exchange/orders/{order_id}/download")
def download(request: Request, order_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    got = service.download(session, principal=viewer, order_id=order_id)
    return Response(got.content, media_type="application/octet-stream", headers={
        "X-Content-SHA256": got.sha256, "Content-Disposition": f'attachment; filename="{got.filename}"'})


@router.post("/exchange/orders/{order_id}/jobs")
async def run_compute(request: Request, order_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    f = await form(request)
    data_dir = request.app.state.settings.data_dir
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.run_compute(
        session, principal=viewer, order_id=order_id, command=f.get("command", ""),
        time_limit_s=int(f.get("time_limit_s") or 600), data_dir=data_dir),
        N_("The job was submitted next to the data; see its output under Jobs."), _my)


# --- assessor and operator -----------------------------------------------------------------------------------


def _review(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: Any) -> Response:
    queue = service.review_queue(session, principal=viewer)
    items = []
    for version in queue:
        product = service.get_product(session, principal=viewer, product_id=version.product_id)
        done = {s.stage: s for s in service.steps(session, principal=viewer, version_id=version.id)}
        items.append((product, version, required_stages(PiLevel(product.pi_level)), done))
    return _page(request, "review.html", viewer, status, items=items, **extra)


@router.get("/exchange/review")
def review_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS, Role.PLATFORM_OPERATOR)
    return _review(request, session, viewer)


@router.post("/exchange/versions/{version_id}/stages")
async def review_stage(request: Request, version_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *TRADERS)
    f = await form(request)
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.review_stage(
        session, principal=viewer, version_id=version_id, stage=f.get("stage", ""), passed=f.get("passed") == "yes",
        note=f.get("note", "")), N_("The stage decision was recorded."), _review)


def _operator(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: Any) -> Response:
    pending = service.list_memberships(session, principal=viewer, status="pending")
    names = {m.organisation_id: org_name(session, m.organisation_id) for m in pending}
    return _page(request, "operator.html", viewer, status, pending=pending, names=names,
                 objections=service.open_objections(session, principal=viewer), notices=service.in_notice(session),
                 now=datetime.now(UTC), **extra)


@router.get("/exchange/operator")
def operator_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    return _operator(request, session, viewer)


@router.post("/exchange/roles/{membership_id}/decision")
async def decide_role(request: Request, membership_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    f = await form(request)
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.decide_role(
        session, principal=viewer, membership_id=membership_id, approve=f.get("approve") == "yes",
        note=f.get("note", "")[:2000]), N_("The decision was recorded."), _operator)


@router.post("/exchange/objections/{objection_id}/resolution")
async def resolve_objection(request: Request, objection_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    f = await form(request)
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.resolve_objection(
        session, principal=viewer, objection_id=objection_id, uphold=f.get("uphold") == "yes",
        resolution=f.get("resolution", "")), N_("The objection was resolved."), _operator)


@router.post("/exchange/versions/{version_id}/certificate")
async def certify(request: Request, version_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    f = await form(request)
    signer = init_signer(request.app.state.settings.data_dir)
    return await run_in_threadpool(_act, request, session, viewer, f, lambda: service.certify(
        session, principal=viewer, version_id=version_id, signer=signer),
        N_("The registration certificate was issued."), _operator)


@router.get("/exchange/products/{product_id}/certificate.json")
def certificate_json(request: Request, product_id: int, version_id: int, session: SessionDep) -> Response:
    row = service.certificate(session, version_id=version_id)
    document = service.document(session, row=row, signer=init_signer(request.app.state.settings.data_dir))
    if document["body"]["product_id"] != product_id:
        return redirect(f"/exchange/products/{product_id}")
    return Response(json.dumps(document, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{document["body"]["number"]}.json"'})
