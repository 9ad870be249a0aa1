"""Names instead of codes on every page: centers and pools by their names (not `nscc-chengdu/gpu-a100`),
audit event kinds and subjects in words (not `ledger.void_posted`, `ledger_transfer:83`), job history
reasons in the reader's language, rule outcomes and review stages as words."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from suanli.services.views.names import Directory
from suanli.web.i18n import N_
from suanli.web.labels import LABELS, label

EVENT_KINDS: dict[str, str] = {
    "billing.invoice_issued": N_("Invoice issued"),
    "billing.usage_charged": N_("Usage charged"),
    "ledger.account_opened": N_("Account opened"),
    "ledger.immediate_posted": N_("Transfer posted"),
    "ledger.post_posted": N_("Held amount posted"),
    "ledger.reserve_posted": N_("Amount held"),
    "ledger.void_posted": N_("Hold released"),
    "ledger.period_closed": N_("Accounting period closed"),
    "pool.price_set": N_("Price set"),
    "settlement.batch_created": N_("Disbursement batch prepared"),
    "settlement.batch_approved": N_("Disbursement batch approved"),
    "settlement.batch_paid": N_("Disbursement batch paid"),
    "settlement.statement_issued": N_("Settlement statement issued"),
    "user.role_granted": N_("Role granted"),
    "voucher.application_reviewed": N_("Application reviewed"),
    "voucher.application_submitted": N_("Application submitted"),
    "voucher.grant_approved": N_("Vouchers granted"),
    "voucher.program_funded": N_("Program budget funded"),
    "voucher.program_loaded": N_("Program file loaded"),
    "voucher.redeemed": N_("Vouchers redeemed"),
    "voucher.released": N_("Voucher hold released"),
    "voucher.reserved": N_("Vouchers held for a job"),
    "voucher.window_opened": N_("Application window opened"),
    "voucher.window_closed": N_("Application window closed"),
    "voucher.expired": N_("Vouchers expired"),
    "voucher.clawed_back": N_("Vouchers clawed back"),
    "voucher.disclosure_published": N_("Disclosure list published"),
    "voucher.contract_declared": N_("Contract declared"),
    "voucher.contract_confirmed": N_("Contract confirmed by the provider"),
    "voucher.contract_paid": N_("Contract payment confirmed"),
    "voucher.contract_refused": N_("Contract refused by the provider"),
    "voucher.reserve_funded": N_("Reserve fund placed"),
    "award.submitted": N_("Award application submitted"),
    "award.decided": N_("Award decided"),
    "award.refused": N_("Award application refused"),
    "award.item_loaded": N_("Award item loaded"),
    "award.budget_committed": N_("Award budget committed"),
    "award.item_funded": N_("Award budget paid in"),
    "award.payout_owed": N_("Award owed to its recipient"),
    "award.paid": N_("Award paid"),
    "award.disclosure_published": N_("Award disclosure list published"),
    "exchange.api_called": N_("Data API called"),
    "exchange.certificate_issued": N_("Registration certificate issued"),
    "exchange.compute_run": N_("Computation on the data run"),
    "exchange.downloaded": N_("Dataset downloaded"),
    "exchange.objection_lodged": N_("Objection lodged"),
    "exchange.objection_resolved": N_("Objection resolved"),
    "exchange.order_settled": N_("Data order settled"),
    "exchange.product_created": N_("Data product registered"),
    "exchange.review_requested": N_("Compliance review requested"),
    "exchange.review_stage": N_("Compliance review stage decided"),
    "exchange.role_applied": N_("Exchange role applied for"),
    "exchange.role_decided": N_("Exchange role decided"),
    "exchange.version_added": N_("Data product version added"),
    "indicator.figure_entered": N_("Indicator figure entered"),
    "indicator.file_loaded": N_("Indicator definitions loaded"),
    "opportunity.batch_created": N_("Opportunity batch prepared"),
    "opportunity.batch_submitted": N_("Opportunity batch submitted"),
    "opportunity.batch_published": N_("Opportunity batch published"),
    "opportunity.batch_returned": N_("Opportunity batch returned"),
    "opportunity.closed": N_("Opportunity closed"),
    "opportunity.evaluated": N_("Opportunity evaluated"),
    "opportunity.items_added": N_("Opportunities added"),
    "opportunity.match_requested": N_("Matching requested"),
    "opportunity.match_accepted": N_("Matching accepted"),
    "opportunity.match_declined": N_("Matching declined"),
    "opportunity.match_withdrawn": N_("Matching withdrawn"),
    "opportunity.match_concluded": N_("Matching concluded"),
    "profile.fact_recorded": N_("Organisation fact recorded"),
}

SUBJECTS: dict[str, str] = {
    "batch": N_("Disbursement batch"),
    "invoice": N_("Invoice"),
    "job": N_("Job"),
    "ledger_account": N_("Account"),
    "ledger_transfer": N_("Transfer"),
    "pool": N_("Pool"),
    "statement": N_("Settlement statement"),
    "usage": N_("Usage record"),  # the redemption names the same usage record as metering
    "usage_record": N_("Usage record"),
    "user": N_("User"),
    "voucher_application": N_("Application"),
    "voucher_program": N_("Voucher program"),
    "program": N_("Voucher program"),
    "voucher_grant": N_("Grant"),
    "voucher_wallet": N_("Wallet"),
    "voucher_redemption": N_("Redemption"),
    "reserve_fund": N_("Reserve fund"),
    "payment": N_("Payment"),
    "award-application": N_("Award application"),
    "award-item": N_("Award item"),
    "award-payout": N_("Award payout"),
    "exchange_order": N_("Data order"),
    "exchange_product": N_("Data product"),
    "exchange_version": N_("Data product version"),
    "exchange_objection": N_("Objection"),
    "exchange_membership": N_("Exchange role"),
    "indicator": N_("Indicator"),
    "indicators": N_("Indicator definitions"),
    "opportunity-batch": N_("Opportunity batch"),
    "opportunity-match": N_("Matching request"),
    "opportunity": N_("Opportunity"),
    "organisation": N_("Organisation"),
}

OUTCOMES: dict[str, str] = {
    "passed": N_("passed"),
    "failed": N_("not met"),
    "refused": N_("not met"),
    "skipped": N_("not applicable"),
    "info": N_("noted"),
    "warning": N_("warning"),
    "priority": N_("priority"),
}

_REASONS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), m) for p, m in (
    (r"^submitted to (?P<center>[\w.-]+)/(?P<pool>[\w.-]+) as (?P<id>\S+)$", N_("Submitted to %(place)s (center job %(id)s)")),
    (r"^submitted$", N_("Submitted")),
    (r"^simulated$", N_("Run on a simulated center")),
    (r"^cancelled by (?P<user>\S+)$", N_("Cancelled by %(user)s")),
    (r"^center reports (?P<state>\w+)$", N_("The center reports: %(state)s")),
    (r"^center unreachable: (?P<detail>.*)$", N_("The center could not be reached")),
    (r"^rejected by the center: (?P<detail>.*)$", N_("The center rejected the job")),
    (r"^the center never confirmed the job", N_("The center never confirmed the job; it is not resubmitted")),
    (r"^center '(?P<center>[\w.-]+)' is simulated", N_("%(center)s is simulated: its jobs have no output")),
)]


def display_name(thing: Any, lang: str) -> str:
    """A center's or an organisation's name in the reader's language: the Chinese name, or the English one
    where it has one, else the Chinese name again — never `name`, which is its handle (`nscc-chengdu`)."""
    if lang == "zh_CN":
        return str(thing.name_zh)
    return str(getattr(thing, "name_en", None) or thing.name_zh)


_CODE = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*(?![\w-])")


class Names:
    """One page's name lookups, in the page's language."""

    def __init__(self, gettext: Callable[[str], str], lang: str, directory: Directory | None = None) -> None:
        self._ = gettext
        self.zh = lang == "zh_CN"
        self.dir = directory or Directory({}, frozenset(), {})

    def center(self, slug: str | None) -> str:
        if not slug:
            return "—"
        zh, en = self.dir.centers.get(slug, (slug, slug))
        return zh if self.zh else en

    def place(self, center: str | None, pool: str | None = None) -> str:
        """"国家超级计算成都中心 · A100" for `nscc-chengdu/gpu-a100`."""
        if not center:
            return "—"
        model = self.dir.models.get((center, pool or ""), pool or "")
        return f"{self.center(center)} · {model}" if model else self.center(center)

    def simulated(self, center: str | None) -> bool:
        return bool(center) and center in self.dir.simulated

    def event(self, kind: str) -> str:
        return self._(EVENT_KINDS[kind]) if kind in EVENT_KINDS else self._(label(kind))

    def subject(self, subject: str) -> str:
        found = re.match(r"^([a-z_-]+)(?:[:/]| #)(.+)$", subject or "")
        kind, ident = found.groups() if found else (subject or "", "")
        name = self._(SUBJECTS[kind]) if kind in SUBJECTS else self._(label(kind))
        # A numeric id is a reference a person can use; a code (an item's or indicator's slug) is not
        # something to read, so the kind's name stands alone and the event body keeps the code.
        return f"{name} #{ident}" if ident.isdigit() else name

    def subjects_named(self, words: str) -> tuple[str, ...]:
        """The subjects a reader means by what the page showed them ("申领 #12", "Job 7"): the log's search
        takes these, since a person never types `voucher_application:12`. Nothing when the words name no
        subject with a number (the search then reads them as typed)."""
        found = re.fullmatch(r"\s*(.*?)\s*#?\s*(\d+)\s*", words or "")
        if not found or not found.group(1):
            return ()
        name = found.group(1).casefold()
        return tuple(f"{kind}:{found.group(2)}" for kind, english in SUBJECTS.items()
                     if name in (self._(english).casefold(), english.casefold()))

    def outcome(self, value: Any) -> str:
        text = str(value or "")
        return self._(OUTCOMES[text]) if text in OUTCOMES else self._(label(text))

    def words(self, text: str | None, stages: dict[str, str] | None = None) -> str:
        """A rule's message with the codes it quotes (sectors, centers, and the program's review stages
        when given, slug -> the stage's actor) replaced by their names."""
        def name(found: re.Match[str]) -> str:
            code = found.group(0)
            if stages and code in stages:
                return stages[code]
            if code in self.dir.centers:
                return self.center(code)
            return self._(LABELS[code]) if code in LABELS else code
        # English sentences keep their words; in Chinese every lowercase ASCII token is a code.
        return _CODE.sub(name, text or "") if self.zh else (text or "")

    def reason(self, text: str | None) -> str:
        if not text:
            return ""
        for pattern, msgid in _REASONS:
            found = pattern.search(text)
            if found:
                groups = found.groupdict()
                values = {"place": self.place(groups.get("center"), groups.get("pool")),
                          "center": self.center(groups.get("center")), "id": groups.get("id", ""),
                          "user": groups.get("user", ""), "state": self._(label(groups.get("state", "")))}
                return self._(msgid) % {k: v for k, v in values.items() if f"%({k})s" in msgid}
        return text
