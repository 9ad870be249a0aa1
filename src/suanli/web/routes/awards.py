"""Award pages: the officer's award desk (items with their sources, decided claims with the rules that
fired, the form to decide a claim after review), the review of the applications organisations submitted
(approve, or refuse with a reason, through `awards.review`), the bureau's profile page (一企一档: facts that decide
money, each with its source and date, entered by the bureau only), an organisation's policy matches
(政策计算器: which items it is likely eligible for, what it would receive and why) and the 免申即享
confirmation from the home page."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.domain.profile import FACT_KINDS, KINDS_BY_KEY, fact_key, fact_kind, fact_name
from suanli.services import awards as service
from suanli.services import profile as profile_service
from suanli.web import i18n
from suanli.web.common import (
    SessionDep,
    ViewerDep,
    error_text,
    form,
    form_yuan,
    render,
    require,
    submit_form,
    yuan,
)
from suanli.web.i18n import N_

router = APIRouter(include_in_schema=False)
OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def _desk(request: Request, session: Session, viewer: Principal, http_status: int = 200, **extra: Any) -> Response:
    return render(request, "awards/desk.html", http_status, viewer=viewer, items=service.list_items(session),
                  decided=service.list_decided(session), zh=i18n.language(request) == "zh_CN", **extra)


@router.get("/awards")
def desk(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    return _desk(request, session, viewer)


@router.post("/awards")
async def decide(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_decide, request, session, viewer, fields)


def _decide(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            org = service.organisation_by_name(session, fields.get("organisation", "").strip())
            row = service.apply(session, actor=viewer, organisation_id=org, item_code=fields.get("item", ""),
                                year=int(fields.get("year", "0") or 0), basis=fields.get("basis", "").strip(),
                                evidence=frozenset(e.strip() for e in fields.get("evidence", "").split(",") if e.strip()),
                                level=fields.get("level") or None)
    except SuanliError as exc:
        return _desk(request, session, viewer, exc.status, error=error_text(exc, i18n.language(request)),
                     form=fields)
    return _desk(request, session, viewer, notice=gettext("Award decided: %(amount)s") % {"amount": yuan(row.amount_fen)})


# --- the bureau reviews submitted applications (申报 → 审核) --------------------------------------------------------


def _applications(request: Request, session: Session, viewer: Principal, http_status: int = 200,
                  **extra: Any) -> Response:
    return render(request, "awards/applications.html", http_status, viewer=viewer,
                  submitted=service.list_submitted(session, principal=viewer), zh=i18n.language(request) == "zh_CN",
                  **extra)


@router.get("/awards/applications")
def applications(request: Request, session: SessionDep, viewer: ViewerDep, decided: int = 0) -> Response:
    require(viewer, *OFFICERS)
    outcome = None
    if decided:
        try:
            outcome = _outcome(request, service.get_claim(session, principal=viewer, claim_id=decided))
        except SuanliError:
            outcome = None  # a stale link: the list alone
    return _applications(request, session, viewer, notice=outcome)


def _outcome(request: Request, row: Any) -> str | None:
    """The decision in the reader's words: the amount owed, or the refusal with its reason."""
    gettext = i18n.translator(i18n.language(request))
    if row.status == "decided":
        return gettext("Approved: %(amount)s owed, paid with the next disbursement batch.") % {
            "amount": yuan(row.amount_fen)}
    if row.status == "refused" and row.rules:
        reason = row.rules[0][1] if i18n.language(request) == "zh_CN" else row.rules[0][2]
        return gettext("Refused. %(reason)s") % {"reason": reason}
    return None


@router.post("/awards/applications/{application_id}/review")
async def review_application(request: Request, session: SessionDep, viewer: ViewerDep,
                             application_id: int) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_review, request, session, viewer, application_id, fields)


def _review(request: Request, session: Session, viewer: Principal, application_id: int,
            fields: dict[str, str]) -> Response:
    def action() -> str:
        amount = fields.get("amount", "").strip()
        service.review(session, actor=viewer, application_id=application_id,
                       approve=fields.get("decision") == "approve",
                       reviewed_amount_fen=form_yuan(amount) if amount else None, note=fields.get("note", ""))
        return f"/awards/applications?decided={application_id}"

    def refused(message: str) -> Response:
        return _applications(request, session, viewer, 409, error=message, failed=application_id)

    return submit_form(request, session, viewer, fields, action, refused)


# The levels a standards item pays by (the item files name them by key only).
LEVELS = {"international": N_("International standard"), "national": N_("National standard"),
          "industry": N_("Industry standard")}


# What an application is for: the kind of its basis (`kind:name`, one benefit per basis across programs).
BASIS_KINDS = {"product": N_("Product or system"), "standard": N_("Standard"), "model": N_("Model"), "project": N_("Project"),
               "expense": N_("Expense")}


def _apply_context(session: Session) -> dict[str, Any]:
    """What the application form on a match needs: each item's evidence, parties and levels."""
    return {"award_items": {i.code: i for i in service.list_items(session)}, "levels": LEVELS,
            "party_name": service.party_name, "basis_kinds": BASIS_KINDS}


@router.get("/awards/matches")
def matches(request: Request, session: SessionDep, viewer: ViewerDep, year: int = 2024, applied: int = 0) -> Response:
    require(viewer, Role.ORG_ADMIN, Role.ORG_MEMBER)
    gettext = i18n.translator(i18n.language(request))
    found = service.calculator(session, principal=viewer, organisation_id=viewer.organisation_id, year=year)
    return render(request, "awards/matches.html", viewer=viewer, matches=found, year=year,
                  zh=i18n.language(request) == "zh_CN", **_apply_context(session),
                  notice=gettext("Application submitted: the bureau reviews it; your home page shows the outcome.")
                  if applied else None)


def _basis(fields: dict[str, str]) -> str:
    kind, name = fields.get("basis_kind", "").strip(), fields.get("basis", "").strip()
    return f"{kind}:{name}" if kind in BASIS_KINDS and name else name


@router.post("/awards/apply")
async def apply_for(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.ORG_ADMIN)
    fields = await form(request)
    return await run_in_threadpool(_apply_for, request, session, viewer, fields)


def _apply_for(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    """The organisation's application (申报) from its policy matches: the evidence it ticks, the declared
    base of each party in yuan, the other party by name; `awards.submit` checks it all."""
    year = int(fields["year"]) if fields.get("year", "").strip().isdigit() else 0
    organisation_id = viewer.organisation_id or 0

    def action() -> str:
        bases = {k.removeprefix("base_"): form_yuan(v) for k, v in fields.items() if k.startswith("base_") and v.strip()}
        row = service.submit(session, actor=viewer, organisation_id=organisation_id, item_code=fields.get("item", ""),
                             year=year, basis=_basis(fields),
                             evidence=frozenset(k.removeprefix("evidence_") for k in fields if k.startswith("evidence_")),
                             bases=bases or None, level=fields.get("level") or None,
                             parties={k.removeprefix("party_"): v for k, v in fields.items() if k.startswith("party_")})
        return f"/awards/matches?year={year}&applied={row.id}"

    def refused(message: str) -> Response:
        found = service.calculator(session, principal=viewer, organisation_id=organisation_id, year=year or 2024)
        return render(request, "awards/matches.html", 409, viewer=viewer, matches=found, year=year or 2024,
                      zh=i18n.language(request) == "zh_CN", error=message, **_apply_context(session))

    return submit_form(request, session, viewer, fields, action, refused)


# --- 免申即享: the organisation confirms from its home page -------------------------------------------------------


def home_context(session: Session, viewer: Principal) -> dict[str, Any]:
    """What the home page shows an organisation: its policy matches and the awards it is a party to."""
    if viewer.role not in (Role.ORG_ADMIN, Role.ORG_MEMBER) or viewer.organisation_id is None:
        return {}
    return {"policy_matches": service.home_matches(session, principal=viewer, organisation_id=viewer.organisation_id),
            "my_awards": service.my_awards(session, principal=viewer, organisation_id=viewer.organisation_id),
            "my_applications": service.my_applications(session, principal=viewer,
                                                       organisation_id=viewer.organisation_id),
            "may_confirm": viewer.role is Role.ORG_ADMIN, **_apply_context(session)}


@router.post("/awards/confirm")
async def confirm(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.ORG_ADMIN)
    fields = await form(request)
    return await run_in_threadpool(_confirm, request, session, viewer, fields)


def _confirm(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    year = int(fields["year"]) if fields.get("year", "").strip().isdigit() else 0
    organisation_id = viewer.organisation_id or 0

    def action() -> str:
        service.confirm(session, actor=viewer, organisation_id=organisation_id, item_code=fields.get("item", ""),
                        year=year)
        return "/home?confirmed=1#policy-h"

    def refused(message: str) -> Response:
        found = service.home_matches(session, principal=viewer, organisation_id=organisation_id)
        return render(request, "awards/matches.html", 409, viewer=viewer, matches=found, year=year,
                      zh=i18n.language(request) == "zh_CN", error=message)

    return submit_form(request, session, viewer, fields, action, refused)


# --- the bureau's profile page (一企一档) -------------------------------------------------------------------------


def _profile_page(request: Request, session: Session, viewer: Principal, organisation: str, http_status: int = 200,
                  **extra: Any) -> Response:
    org_id, facts = None, []
    if organisation:
        try:
            org_id = service.organisation_by_name(session, organisation)
            facts = profile_service.facts(session, actor=viewer, organisation_id=org_id)
        except SuanliError as exc:
            extra.setdefault("error", error_text(exc, i18n.language(request)))
            http_status = max(http_status, exc.status)
    gettext = i18n.translator(i18n.language(request))

    def fact_value(key: str, value: str) -> str:
        kind, _year = fact_kind(key)
        if kind is not None and kind.value == "money" and value.isdigit():
            return yuan(int(value))
        if kind is not None and kind.value == "percent":
            return f"{value}%"
        return gettext("yes") if value == "true" else value

    return render(request, "awards/profile.html", http_status, viewer=viewer, organisation=organisation,
                  organisation_id=org_id, facts=facts, kinds=FACT_KINDS, names_of_fact=fact_name,
                  fact_value=fact_value, zh=i18n.language(request) == "zh_CN", today=date.today().isoformat(), **extra)


@router.get("/awards/profile")
def profile_page(request: Request, session: SessionDep, viewer: ViewerDep, organisation: str = "",
                 recorded: str = "") -> Response:
    require(viewer, *OFFICERS)
    gettext = i18n.translator(i18n.language(request))
    return _profile_page(request, session, viewer, organisation.strip()[:200],
                         notice=gettext("Fact recorded.") if recorded else None)


@router.post("/awards/profile")
async def record_fact(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_record_fact, request, session, viewer, fields)


def _record_fact(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    from urllib.parse import quote

    organisation = fields.get("organisation", "").strip()[:200]

    def action() -> str:
        org_id = service.organisation_by_name(session, organisation)
        kind = KINDS_BY_KEY.get(fields.get("kind", ""))
        year = int(fields["year"]) if fields.get("year", "").strip().isdigit() else None
        key = fact_key(fields.get("kind", ""), year)
        value = fields.get("value", "").strip()
        if kind is not None and kind.value == "money":
            value = str(form_yuan(value))
        as_of = _day(fields.get("as_of", ""))
        profile_service.record_fact(session, actor=viewer, organisation_id=org_id, key=key, value=value,
                                    source=fields.get("source", "").strip(), as_of=as_of)
        return f"/awards/profile?organisation={quote(organisation)}&recorded=1"

    def refused(message: str) -> Response:
        return _profile_page(request, session, viewer, organisation, 422, error=message, form=fields)

    return submit_form(request, session, viewer, fields, action, refused)


def _day(text: str) -> date:
    from suanli.domain.errors import InvalidInput

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("the date the source gives is required (YYYY-MM-DD) / 须填写来源日期", field="as_of") from None
