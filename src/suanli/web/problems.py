"""Refusals in Chinese: services word their details in English (voucher rules in both languages, kept
as they are); a Chinese page shows the zh wording of the messages the forms meet, and otherwise the
problem type's zh title with the field named, so no English sentence reaches a Chinese reader."""

from __future__ import annotations

import re
from collections.abc import Callable

from suanli.domain.errors import SuanliError
from suanli.web.i18n import N_, translator
from suanli.web.labels import label

# Problem type slug -> title (a msgid): one for every problem type the services raise (a test holds
# this); the most specific class's slug wins.
TITLES: dict[str, str] = {
    "invalid-input": N_("The input is not valid"),
    "invalid-resource-request": N_("The resource request is not valid"),
    "invalid-federation-file": N_("The federation file is not valid"),
    "invalid-program-file": N_("The program file is not valid"),
    "payload-too-large": N_("The upload is too large"),
    "not-found": N_("It does not exist or is not visible to you"),
    "conflict": N_("The change conflicts with the current state"),
    "duplicate-name": N_("The name is already taken"),
    "illegal-transition": N_("This step is not possible in the current state"),
    "idempotency-conflict": N_("The same key was used for a different request"),
    "unauthenticated": N_("Please sign in"),
    "forbidden": N_("Your role may not do this"),
    "too-many-requests": N_("Too many requests; please wait a moment"),
    "backend-unavailable": N_("The center cannot be reached right now"),
    "backend-rejected": N_("The center refused the job"),
    "webhook-target-refused": N_("The webhook address is not allowed"),
    "audit-receipt-pending": N_("Being written to the audit log"),
    "service-busy": N_("The service is busy; please try again shortly"),
    "no-feasible-placement": N_("No pool can run this request"),
    "conflicting-constraints": N_("The constraints contradict each other"),
    "invalid-amount": N_("The amount is not valid"),
    "unsupported-currency": N_("Only CNY is supported"),
    "unbalanced-transfer": N_("The transfer's legs do not balance"),
    "insufficient-funds": N_("The account balance is not enough"),
    "period-closed": N_("The accounting period is closed"),
    "post-exceeds-reservation": N_("The amount posted exceeds what is reserved"),
    "transfer-not-pending": N_("The transfer is not pending"),
    "transfer-not-reversible": N_("The transfer cannot be reversed"),
    "unknown-account": N_("No such ledger account"),
    "unknown-transfer": N_("No such transfer"),
    "nothing-to-invoice": N_("Nothing new to invoice"),
    "nothing-to-state": N_("Nothing new for a statement"),
    "voucher-rule-violation": N_("A voucher program rule is not met"),
    "voucher-conflict": N_("This conflicts with the voucher's current state"),
    "voucher-not-found": N_("The voucher record does not exist or is not visible to you"),
    "separation-of-duties": N_("Separation of duties: someone else must take this step"),
    "document-too-large": N_("The document is too large"),
    "invalid-award-file": N_("The award program file is not valid"),
    "award-rule-violation": N_("An award rule is not met"),
    "award-claimed-already": N_("This award has been claimed already"),
    "double-benefit": N_("Already paid under another program"),
    "invalid-opportunity": N_("The opportunity item is not valid"),
    "duplicate-opportunity": N_("This opportunity item exists already"),
    "invalid-indicator-file": N_("The indicator file is not valid"),
    "unknown-period": N_("No such reporting period"),
    "exchange-invalid": N_("The data exchange request is not valid"),
    "exchange-evidence-missing": N_("Required compliance evidence is missing"),
    "exchange-not-found": N_("Not found in the data exchange, or not visible to you"),
    "exchange-conflict": N_("This conflicts with the data exchange's current state"),
    "exchange-notice-closed": N_("The public notice period is over"),
    "exchange-content-tampered": N_("The content no longer matches its SHA-256"),
    "exchange-quota-exhausted": N_("The order's quota is used up"),
    "audit-event-not-found": N_("No such audit event"),
    "audit-invalid-proof-request": N_("The proof request is out of range"),
    "audit-log-inconsistent": N_("The audit log does not match a signed tree head"),
    "audit-not-canonical": N_("The audit payload is not canonical JSON"),
    "bad-backup-passphrase": N_("Wrong passphrase or damaged backup"),
    "missing-secret": N_("The platform's configuration is incomplete"),
    "pdf-font-unavailable": N_("No Chinese font for PDF documents"),
}
GENERIC = N_("The request was refused")

# The error page's headline for what a request broke before any service saw it (web/app.py).
HTTP_TITLES: dict[int, str] = {
    400: N_("The request could not be read"),
    405: N_("This page does not take this kind of request"),
    413: N_("The upload is too large"),
    415: N_("The upload is not in a form this page reads"),
    422: N_("The address or form holds a value that is not valid"),
}

# Field names (form fields and the services' `field=`) as a reader knows them.
FIELDS: dict[str, str] = {
    "devices": N_("Devices"),
    "hours": N_("Hours"),
    "min_memory_gb": N_("Minimum device memory (GB)"),
    "nodes": N_("Nodes"),
    "tasks_per_node": N_("Tasks per node"),
    "prefer": N_("Preference"),
    "score": N_("Score"),
    "amount_yuan": N_("Amount (yuan)"),
    "amount_fen": N_("Amount (yuan)"),
    "project": N_("Project"),
    "name": N_("Job name"),
    "command": N_("Command"),
    "program_id": N_("Program"),
    "provider_id": N_("Provider"),
    "provider_organisation_id": N_("Provider"),
    "decision": N_("Decision"),
    "comment": N_("Opinion"),
    "month": N_("Month"),
    "status": N_("Status"),
    "form_key": N_("Form"),
    "text": N_("Program file"),
    "sort": N_("Sort by"),
    "dir": N_("Sort direction"),
    "page": N_("Page"),
    "per_page": N_("Per page"),
    "q": N_("Search"),
    "state": N_("State"),
    "kind": N_("Event"),
    "program": N_("Program"),
    "email": N_("E-mail address"),
    "url": N_("Webhook address"),
}

# Messages the web forms meet, by pattern: (regex on the English detail, msgid with %(name)s groups).
PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), m) for p, m in (
    (r"^(?P<field>\w+) must be a whole number$", N_("%(field)s must be a whole number.")),
    (r"^(?P<field>\w+) must be a number$", N_("%(field)s must be a number.")),
    (r"^(?P<field>\w+) must be between (?P<low>[\d.,]+) and (?P<high>[\d.,]+)$",
     N_("%(field)s must be between %(low)s and %(high)s.")),
    (r"^the amount must be yuan with at most two decimals", N_("The amount must be in yuan with at most two decimals, e.g. 20000 or 12.50.")),
    (r"^the amount must be positive$", N_("The amount must be positive.")),
    (r"^name the project$", N_("Name the project.")),
    (r"^the form has no valid one-time key", N_("The form has expired; reload the page and submit again.")),
    (r"^the database refused the change", N_("The database refused the change; nothing was saved. Please try again.")),
    (r"^the change conflicts with data written meanwhile", N_("The database refused the change; nothing was saved. Please try again.")),
    (r"^unknown preference", N_("Choose one of the offered preferences.")),
    (r"^(?P<field>\w+) is too long", N_("%(field)s is too long.")),
    (r"^(?P<devices>\d+) devices cannot be split evenly over (?P<nodes>\d+) nodes$",
     N_("%(devices)s devices cannot be split evenly over %(nodes)s nodes; choose a number of nodes that divides them.")),
    (r"^choose approve or reject$", N_("Choose approve or reject.")),
    (r"line (?P<line>\d+): the file must be UTF-8 text",
     N_("Line %(line)s: the file must be UTF-8 text (save it as UTF-8; GBK and binary files are not read).")),
    (r"already published and never changes",
     N_("A program with this id is already published and never changes; give the new version an id of its own.")),
    (r"^the e-mail address is not valid$", N_("The e-mail address is not valid.")),
    (r"^the webhook address must be an http\(s\) URL$", N_("The webhook address must start with https:// or http://.")),
    (r"^choose the kinds of notice the webhook receives$", N_("Choose which notifications the webhook receives.")),
    (r"^the webhook address is not allowed",
     N_("The webhook address points into a private or reserved network; the platform only sends to public "
        "addresses (an operator can allow an on-premise receiver).")),
    (r"^the webhook host .* cannot be resolved$", N_("The webhook's host name cannot be found; check the address.")),
    (r"of the outbox is not sequenced yet",
     N_("The receipt is being written to the audit log; reload the page in a moment.")),
)]


def title_of(exc: SuanliError) -> str:
    """The msgid of the most specific problem type with a title: a new subclass without one of its own
    reads as its parent (an exchange refusal as invalid input), never as the bare generic refusal."""
    for cls in type(exc).__mro__:
        slug = getattr(cls, "slug", None)
        if slug in TITLES:
            return TITLES[slug]
    return GENERIC


def _field(name: str, gettext: Callable[[str], str]) -> str:
    return gettext(FIELDS.get(name, label(name)))


def message(exc: SuanliError, lang: str, detail: str) -> str:
    """`detail` is the service's text already reduced to one language when it came in two."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        return detail
    gettext = translator(lang)
    for pattern, msgid in PATTERNS:
        found = pattern.search(detail)
        if found:
            groups = {k: (_field(v, gettext) if k == "field" else v) for k, v in found.groupdict().items()}
            return gettext(msgid) % groups
    if lang != "zh_CN":
        return detail
    title = gettext(title_of(exc))
    field = exc.extra.get("field")
    if exc.extra.get("line"):  # a file's error: where it is, in the reader's words
        where = gettext(N_("line %(line)s")) % {"line": exc.extra["line"]}
        field_word = gettext(N_("field"))
        return f"{title}：{where}" + (f"，{field_word} {field}" if field else "") + "。"
    return f"{title}：{_field(str(field), gettext)}" if field else f"{title}。"
