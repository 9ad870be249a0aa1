"""The notifier: reads the facts after its cursors and files the notices they call for. Run by the
worker's `notifications` step (and by tests directly); idempotent: a person is told of a fact once
(the key), and the cursors move in the same transaction as the notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.db.models.notifications import NotificationRow, OutboundEmailRow
from suanli.db.models.organisations import UserRow
from suanli.db.models.vouchers import VoucherApplicationRow
from suanli.db.repositories import ledger as ledger_repo
from suanli.db.repositories import notifications as repo
from suanli.db.repositories import vouchers as vouchers_repo
from suanli.domain.jobs import JobState
from suanli.domain.money import format_yuan
from suanli.domain.organisations import Role
from suanli.domain.vouchers.budget_use import percent_used, thresholds_reached, used_fen
from suanli.domain.vouchers.program import EVIDENCE_WORDS, Evidence
from suanli.services import awards
from suanli.services.audit import catch_up
from suanli.services.awards.claims import likely_matches
from suanli.services.notifications import webhooks
from suanli.services.notifications.inbox import KINDS

AWARD_KINDS = ("award.submitted", "award.decided", "award.refused")
AUDIT_KINDS = ("voucher.application_submitted", "voucher.application_reviewed", "voucher.grant_approved",
               "voucher.documents_requested", "voucher.documents_supplied", "settlement.batch_created", *AWARD_KINDS)
# 免申即享: an organisation's matches are computed again when its profile facts change (its events) or,
# for every organisation with a profile, when award items change (a sweep over organisation ids);
# at most this many organisations per run, the rest at the next.
FACT_RECORDED, ITEM_LOADED = "profile.fact_recorded", "award.item_loaded"
MAX_POLICY_ORGANISATIONS = 20
SWEEP_IDLE = -1
WALLET_WARNING = timedelta(days=30)
# A fresh deployment (or one upgraded to notifications) tells people of the last day's facts, not of
# its whole history: the cursors' first position is the last fact before this.
FIRST_LOOK_BACK = timedelta(days=1)
BATCH = 1000
JOB_STATES = {"succeeded": ("已成功", "succeeded"), "failed": ("失败", "failed"), "timed_out": ("超时", "timed out"),
              "cancelled": ("已取消", "was cancelled"), "lost": ("已丢失", "was lost")}
ORG_ROLES = (Role.ORG_ADMIN.value, Role.PROVIDER_ADMIN.value)


@dataclass(frozen=True)
class Notice:
    kind: str
    key: str
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    link: str


def _file(session: Session, user: UserRow, notice: Notice, public_url: str | None, now: datetime) -> int:
    if Role(user.role) not in KINDS[notice.kind][2]:
        return 0
    filed = webhooks.queue(session, user_id=user.id, kind=notice.kind, key=notice.key, now=now, payload={
        "key": notice.key, "subject": {"zh": notice.subject_zh, "en": notice.subject_en},
        "body": {"zh": notice.body_zh, "en": notice.body_en}, "link": notice.link, "at": now.isoformat()})
    if repo.notified(session, user.id, notice.key):
        return filed
    settings = repo.settings_of(session, user.id)
    if settings is None or notice.kind not in settings.muted_inbox:
        repo.add(session, NotificationRow(user_id=user.id, kind=notice.kind, key=notice.key, subject_zh=notice.subject_zh,
                                          subject_en=notice.subject_en, body_zh=notice.body_zh, body_en=notice.body_en,
                                          link=notice.link))
        filed += 1
    if settings is not None and settings.email and notice.kind not in settings.muted_email:
        link = f"{public_url.rstrip('/')}{notice.link}" if public_url and notice.link else notice.link
        body = "\n\n".join(part for part in (notice.body_zh, f"详情：{link}" if link else "", "——", notice.subject_en,
                                             notice.body_en) if part)
        repo.add(session, OutboundEmailRow(user_id=user.id, key=notice.key, to_address=settings.email,
                                           subject=f"【算力调度平台】{notice.subject_zh}"[:300], body=body,
                                           next_attempt_at=now))
        filed += 1
    return filed


def _tell(session: Session, people: list[UserRow], notice: Notice, public_url: str | None, now: datetime) -> int:
    seen: set[int] = set()
    filed = 0
    for user in people:
        if user.id not in seen:
            seen.add(user.id)
            filed += _file(session, user, notice, public_url, now)
    return filed


def _applicants(session: Session, organisation_id: int, applicant_user_id: int) -> list[UserRow]:
    people = repo.users(session, roles=ORG_ROLES, organisation_id=organisation_id)
    applicant = session.get(UserRow, applicant_user_id)
    return people + ([applicant] if applicant is not None and applicant.active else [])


def _from_audit(session: Session, public_url: str | None, now: datetime) -> int:
    catch_up(session)  # notices follow the log: what is pending gets its place first
    cursor = repo.cursor(session, "audit", start=lambda: repo.last_audit_seq_before(session, now - FIRST_LOOK_BACK))
    filed = 0
    changed: list[int] = []  # organisations whose profile changed, in the order they did
    for event, payload in repo.events_after(session, int(cursor.position), AUDIT_KINDS, BATCH):
        if event.kind == FACT_RECORDED and event.organisation_id is not None:
            if event.organisation_id not in changed and len(changed) >= MAX_POLICY_ORGANISATIONS:
                break  # this event and the rest at the next run
            if event.organisation_id not in changed:
                changed.append(int(event.organisation_id))
        cursor.position = event.seq
        if event.kind in AWARD_KINDS:
            filed += _from_award_event(session, event.kind, event.organisation_id, payload,
                                       event.subject.rpartition("/")[2], public_url, now)
            continue
        if event.kind == ITEM_LOADED:
            repo.cursor(session, "policy-sweep", start=lambda: SWEEP_IDLE).position = 0  # (re)start the sweep
            continue
        ident = event.subject.rpartition(":")[2]
        if event.kind not in AUDIT_KINDS or not ident.isdigit():
            continue
        if event.kind == "settlement.batch_created":
            batch = ledger_repo.get_batch(session, int(ident))
            if batch is not None and batch.status == "draft":  # one approved meanwhile awaits nobody
                total = format_yuan(int(batch.total_fen))
                filed += _tell(session, repo.users(session, roles=(Role.FINANCE_OFFICER.value,)), Notice(
                    "batch_awaiting_approval", f"batch:{batch.id}:created",
                    f"拨付批次 {batch.number} 待审批（合计 {total}）", f"Batch {batch.number} awaits approval ({total})",
                    f"{batch.month} 的拨付批次由 {batch.created_by} 制单，请审批（制单人不得审批）。",
                    f"The {batch.month} batch was prepared by {batch.created_by}; someone else must approve it.",
                    "/batches"), public_url, now)
            continue
        application = vouchers_repo.get_application(session, int(ident))
        if application is None:
            continue
        link = f"/applications/{application.id}"
        if event.kind == "voucher.application_submitted":
            filed += _tell(session, repo.users(session, roles=(Role.PROGRAM_OFFICER.value,)), Notice(
                "application_to_review", f"application:{application.id}:submitted",
                f"新申领待审核：{application.project}（#{application.id}）",
                f"New application to review: {application.project} (#{application.id})",
                f"申请金额 {format_yuan(int(application.requested_fen))}。", f"Requested {format_yuan(int(application.requested_fen))}.",
                link), public_url, now)
        elif event.kind == "voucher.application_reviewed" and payload.get("approve") is False:
            filed += _tell(session, _applicants(session, application.organisation_id, application.applicant_user_id), Notice(
                "application_decided", f"application:{application.id}:rejected",
                f"申领未通过：{application.project}（#{application.id}）",
                f"Application not approved: {application.project} (#{application.id})",
                "审核意见与触发的规则见申领详情。", "The reviewers' opinion and the rules are on the application's page.",
                link), public_url, now)
        elif event.kind in ("voucher.documents_requested", "voucher.documents_supplied"):
            filed += _tell_documents(session, event.kind, application, payload, link, public_url, now)
        elif event.kind == "voucher.grant_approved":
            amount = format_yuan(int(payload.get("amount_fen", 0)))
            until = str(payload.get("expires_on", ""))
            filed += _tell(session, _applicants(session, application.organisation_id, application.applicant_user_id), Notice(
                "application_decided", f"application:{application.id}:granted",
                f"申领已核定：{application.project}（{amount}）", f"Application granted: {application.project} ({amount})",
                f"算力券 {amount} 已发放，有效期至 {until}。", f"{amount} of vouchers granted, valid until {until}.",
                link), public_url, now)
            filed += _budget_thresholds(session, application.program_id, public_url, now)
    for organisation_id in changed:
        filed += _policy_matches(session, organisation_id, public_url, now)
    return filed + _policy_sweep(session, MAX_POLICY_ORGANISATIONS - len(changed), public_url, now)


def _tell_documents(session: Session, kind: str, application: VoucherApplicationRow, payload: dict[str, object],
                    link: str, public_url: str | None, now: datetime) -> int:
    """需补充材料: the applicant is told what is asked and why; the officers, that the answer is in."""
    request = payload.get("request")
    if kind == "voucher.documents_requested":
        wanted = [str(k) for k in payload.get("kinds") or []]  # type: ignore[attr-defined]
        kinds_zh = "、".join(EVIDENCE_WORDS[Evidence(k)][0] for k in wanted)
        kinds_en = ", ".join(EVIDENCE_WORDS[Evidence(k)][1] for k in wanted)
        reason = str(payload.get("reason", ""))
        return _tell(session, _applicants(session, application.organisation_id, application.applicant_user_id), Notice(
            "documents_requested", f"application:{application.id}:documents:{request}",
            f"申领需补充材料：{application.project}（#{application.id}）",
            f"More documents needed: {application.project} (#{application.id})",
            f"审核人意见：{reason}" + (f"\n请上传：{kinds_zh}。" if kinds_zh else "") + "\n上传后在申领详情中提交，审核继续。",
            f"The reviewer writes: {reason}" + (f"\nPlease upload: {kinds_en}." if kinds_en else "")
            + "\nThen answer on the application's page and the review goes on.", link), public_url, now)
    return _tell(session, repo.users(session, roles=(Role.PROGRAM_OFFICER.value,)), Notice(
        "application_to_review", f"application:{application.id}:supplied:{request}",
        f"申领已补充材料：{application.project}（#{application.id}）",
        f"Documents supplied: {application.project} (#{application.id})",
        "申请单位已按要求补充材料，审核可以继续。", "The applicant has supplied the documents asked for; the review can go on.",
        link), public_url, now)


def _policy_sweep(session: Session, budget: int, public_url: str | None, now: datetime) -> int:
    """The next organisations of a sweep the award items' change started (none when it is idle)."""
    sweep = repo.cursor(session, "policy-sweep", start=lambda: SWEEP_IDLE)
    if sweep.position == SWEEP_IDLE or budget <= 0:
        return 0
    organisations = repo.organisations_with_facts(session, after=int(sweep.position), limit=budget)
    sweep.position = organisations[-1] if len(organisations) == budget else SWEEP_IDLE
    return sum(_policy_matches(session, organisation_id, public_url, now) for organisation_id in organisations)


def _policy_matches(session: Session, organisation_id: int, public_url: str | None, now: datetime) -> int:
    """免申即享: the organisation's administrators are told once of each item it is newly likely to receive."""
    people = repo.users(session, roles=ORG_ROLES, organisation_id=organisation_id)
    if not people:
        return 0
    filed = 0
    for match in likely_matches(session, organisation_id=organisation_id, today=now.date()):
        fen = match["amount_fen"]
        amount = format_yuan(fen) if isinstance(fen, int) else None  # None: a share of a base not declared yet
        amount_zh, amount_en = (amount, amount) if amount else ("金额按申报基数核定", "amount from the declared base")
        confirm_zh, confirm_en = (("免申即享：在首页确认即可。", "No application needed: confirm it on your home page.")
                                  if match["no_application"] else
                                  ("请按政策要求准备材料并申报。", "Apply with the documents the policy asks for."))
        filed += _tell(session, people, Notice(
            "policy_match", f"policy:{organisation_id}:{match['item']}:{match['year']}",
            f"可能符合：{match['title_zh']}（{match['year']} 年度，{amount_zh}）",
            f"You may qualify: {match['title_en']} ({match['year']}, {amount_en})",
            f"依据贵单位的企业档案，可能获得该项奖励（{amount_zh}）。{confirm_zh}",
            f"From your organisation's profile you may receive this award ({amount_en}). {confirm_en}", "/home"),
            public_url, now)
    return filed


def _budget_thresholds(session: Session, program_id: int, public_url: str | None, now: datetime) -> int:
    """After a grant: the program's officers are told once per threshold (80%, 100% of the budget) reached."""
    program = vouchers_repo.get_program(session, program_id)
    if program is None:
        return 0
    used = used_fen(granted_fen=int(program.granted_fen), returned_fen=int(program.returned_fen or 0),
                    clawed_back_fen=int(program.clawed_back_fen or 0))
    budget = int(program.budget_fen)
    filed = 0
    for threshold in thresholds_reached(used=used, budget_fen=budget):
        share = percent_used(used=used, budget_fen=budget)
        left = format_yuan(max(0, budget - used))
        filed += _tell(session, repo.users(session, roles=(Role.PROGRAM_OFFICER.value,)), Notice(
            "budget_threshold", f"program:{program.id}:budget:{threshold}",
            f"{program.title_zh} 已核定 {share}% 预算（达到 {threshold}%）",
            f"{program.title_en}: {share}% of the budget granted ({threshold}% reached)",
            f"已核定 {format_yuan(used)}，预算 {format_yuan(budget)}，剩余 {left}。",
            f"{format_yuan(used)} granted of {format_yuan(budget)}; {left} left.",
            f"/programs/{program.id}"), public_url, now)
    return filed


def _from_award_event(session: Session, kind: str, organisation_id: int | None, payload: dict[str, object],
                      ident: str, public_url: str | None, now: datetime) -> int:
    """Award applications: one submitted tells the program officers; a decision or refusal tells the
    organisation. (What a profile fact makes likely is `_policy_matches`'.)"""
    if organisation_id is None:
        return 0
    people = repo.users(session, roles=(Role.ORG_ADMIN.value, Role.ORG_MEMBER.value), organisation_id=organisation_id)
    if not ident.isdigit():
        return 0
    item_zh, item_en = awards.item_titles(session, str(payload.get("item", "")))
    if kind == "award.submitted":
        return _tell(session, repo.users(session, roles=(Role.PROGRAM_OFFICER.value,)), Notice(
            "award_to_review", f"award-application:{ident}:submitted", f"新奖励申报待审核：{item_zh}（#{ident}）",
            f"New award application to review: {item_en} (#{ident})", "证明材料与规则校验见奖励申报。",
            "The evidence and the rules checked are on the award application.", "/awards"), public_url, now)
    if kind == "award.refused":
        return _tell(session, people, Notice(
            "award_decided", f"award-application:{ident}:refused", f"奖励申报未获支持：{item_zh}（#{ident}）",
            f"Award application not approved: {item_en} (#{ident})", f"审核意见：{payload.get('note', '')}",
            f"The bureau's reason: {payload.get('note', '')}", "/home"), public_url, now)
    amount = format_yuan(int(str(payload.get("amount_fen", 0))))
    return _tell(session, people, Notice(
        "award_decided", f"award-application:{ident}:decided", f"奖励已核定：{item_zh}（{amount}）",
        f"Award decided: {item_en} ({amount})", "核定金额待拨付批次支付；依据的规则见首页。",
        "The amount is owed until the disbursement batch pays it; the rules are on your home page.", "/home"),
        public_url, now)


def _from_jobs(session: Session, public_url: str | None, now: datetime) -> int:
    cursor = repo.cursor(session, "jobs", start=lambda: repo.last_job_event_before(session, now - FIRST_LOOK_BACK))
    filed = 0
    for event_id, state, job in repo.job_events_after(session, int(cursor.position), BATCH):
        cursor.position = event_id
        if state not in JOB_STATES or not JobState(state).is_final:
            continue
        owner = session.get(UserRow, job.user_id)
        if owner is None or not owner.active:
            continue
        zh, en = JOB_STATES[state]
        filed += _file(session, owner, Notice(
            "job_ended", f"job:{job.id}:ended", f"作业 {job.name}（#{job.id}）{zh}", f"Job {job.name} (#{job.id}) {en}",
            "输出、用量与费用见作业详情。", "Output, usage and cost are on the job's page.", f"/jobs/{job.id}"), public_url, now)
    return filed


def _from_wallets(session: Session, now: datetime, public_url: str | None) -> int:
    filed = 0
    today = now.date()
    for wallet, program in repo.wallets_expiring(session, on_or_before=today + WALLET_WARNING, today=today):
        left = format_yuan(int(wallet.granted_fen) - int(wallet.reserved_fen) - int(wallet.redeemed_fen)
                           - int(wallet.returned_fen))
        filed += _tell(session, repo.users(session, roles=ORG_ROLES, organisation_id=wallet.organisation_id), Notice(
            "wallet_expiring", f"wallet:{wallet.id}:expires:{wallet.expires_on.isoformat()}",
            f"算力券将于 {wallet.expires_on} 到期（余额 {left}）", f"Vouchers expire on {wallet.expires_on} ({left} left)",
            f"{program.title_zh} 的算力券余额 {left} 将于 {wallet.expires_on} 到期，到期后余额收回。",
            f"{left} of {program.title_en} vouchers expire on {wallet.expires_on}; the rest then returns to the program.",
            "/vouchers"), public_url, now)
    return filed


def derive(session: Session, *, now: datetime, public_url: str | None = None) -> int:
    """File every notice the new facts call for; how many were filed (inbox rows and mails)."""
    return (_from_audit(session, public_url, now) + _from_jobs(session, public_url, now)
            + _from_wallets(session, now, public_url))
