"""Refusals in Chinese: services word their details in English (voucher rules in both languages, kept
as they are); a Chinese page shows the zh wording of the messages the forms meet, and otherwise the
problem type's zh title with the field named, so no English sentence reaches a Chinese reader."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

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
    "file": N_("File"),
    "reason": N_("Reason"),
    "answer": N_("Answer"),
    "requested_fen": N_("Amount (yuan)"),
    "project_class": N_("Project class"),
    "sector": N_("Sector"),
    "kinds": N_("Document types"),
    "note": N_("Note"),
    "statement": N_("Statement of the role application"),
    "resolution": N_("Resolution"),
    "title": N_("Item title"),
    "description": N_("Description"),
    "indicators": N_("Indicators"),
    "contact_name": N_("Contact name"),
    "contact_phone": N_("Contact phone"),
    "contact_email": N_("Contact e-mail"),
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
    # Voucher bounds (domain/vouchers/bounds.py) and evidence uploads.
    (r"^(?P<field>[\w.]+) is required$", N_("%(field)s is required.")),
    (r"^(?P<field>[\w.]+) is (?P<length>\d+) characters; at most (?P<limit>\d+) are allowed$",
     N_("%(field)s has %(length)s characters; at most %(limit)s are allowed.")),
    (r"^(?P<field>[\w.]+) must be one of (?P<choices>[\w.-]+(?:, [\w.-]+)*)$",
     N_("%(field)s must be one of: %(choices)s.")),
    (r"^the file is empty$", N_("The file is empty; choose the file again.")),
    (r"^the file has (?P<size>\d+) bytes; at most (?P<limit>\d+) are accepted$",
     N_("The file has %(size)s bytes; at most %(limit)s bytes are accepted.")),
    (r"^the file's media type is not valid$", N_("The file's type is not valid; upload a PDF, image or office document.")),
    (r"^the file needs a name of at most (?P<limit>\d+) printable characters$",
     N_("The file needs a name of at most %(limit)s printable characters.")),
    # Review states of an application (the page names the application; its id is left out).
    (r"^application \d+ is already (?P<status>\w+)$",
     N_("The application is already %(status)s; this step is no longer possible.")),
    (r"^application \d+ is waiting for the documents a reviewer asked for$",
     N_("The application is waiting for the documents a reviewer asked for; it is reviewed once they are in.")),
    (r"^application \d+ is already waiting for documents$",
     N_("The application is already waiting for documents; there is no need to ask again.")),
    (r"^document request \d+ was already answered$", N_("This request for documents was already answered.")),
    (r"^stage \S+ was already acted on$", N_("This review stage was already acted on.")),
    # Program drafts (四眼原则).
    (r"^program draft \d+ is (?P<draft_status>\w+), not awaiting publication$",
     N_("The program draft is %(draft_status)s, not awaiting publication.")),
    (r"^四眼原则 \(four eyes\)",
     N_("Four eyes: the officer who proposed a program file cannot publish it; another program officer does.")),
    # Reserve funds (备用金), ledger balances and disbursement batches.
    (r"^(?P<name>.+) is not a compute provider$", N_("%(name)s is not a compute provider.")),
    (r"^(?P<name>.+) operates no center that program \S+ designates$",
     N_("%(name)s operates no center that the program designates.")),
    (r"^account \S+ holds (?P<balance>-?¥[\d,.]+); this transfer would take it to (?P<after>-?¥[\d,.]+)",
     N_("The account holds %(balance)s; this transfer would take it to %(after)s.")),
    (r"^no unbatched settlement statements or claimant payouts for (?P<month>\d{4}-\d{2})$",
     N_("There are no statements or award payouts for %(month)s that are not in a batch yet.")),
    (r"^batch (?P<number>\S+) is (?P<status>\w+); it must be (?P<expected_status>\w+)$",
     N_("Batch %(number)s is %(status)s; it must be %(expected_status)s for this step.")),
    # Opportunity list (机会清单): batches, items and matching.
    (r"^a batch title has (?P<low>\d+) to (?P<high>\d+) characters$",
     N_("A batch title has %(low)s to %(high)s characters.")),
    (r"^batch \d+ has no items to submit$", N_("The batch has no items yet; add items before submitting it.")),
    (r"^batch \d+ is (?P<status>\w+), not in review$", N_("The batch is %(status)s, not in review.")),
    (r"^batch \d+ is (?P<status>\w+): items are added to a draft batch only$",
     N_("The batch is %(status)s: items are added to a draft batch only.")),
    (r"^returning a batch needs a note saying what to change$",
     N_("Returning a batch needs a note saying what to change.")),
    (r"^opportunity (?P<code>\S+) is closed$", N_("Opportunity item %(code)s is closed.")),
    (r"^your organisation has asked for matching on (?P<code>\S+) already$",
     N_("Your organisation has already asked for matching on %(code)s.")),
    (r"^an organisation does not request matching on its own item$",
     N_("An organisation does not request matching on its own item.")),
    (r"^opportunity (?P<code>\S+) states no compute need",
     N_("Opportunity item %(code)s states no compute need (devices and hours) to quote.")),
    (r"^compute need: (?P<field>\w+) must be (?P<low>\d+) to (?P<high>\d+), got (?P<value>\S+)$",
     N_("Compute need: %(field)s must be %(low)s to %(high)s, not %(value)s.")),
    (r"^compute need: hours must be positive, got (?P<value>\S+)$",
     N_("Compute need: the hours must be positive, not %(value)s.")),
    (r"^(?P<field>\w+) must not be empty$", N_("%(field)s must not be empty.")),
    (r"^(?P<field>\w+) must have at most (?P<limit>\d+) characters$",
     N_("%(field)s must have at most %(limit)s characters.")),
    (r"^(?P<field>\w+) must have (?P<low>\d+) to (?P<high>\d+) characters$",
     N_("%(field)s must have %(low)s to %(high)s characters.")),
    # Data exchange (数据交易所).
    (r"^your organisation already applied for (?P<role>\w+) \((?P<status>\w+)\)$",
     N_("Your organisation already applied for the role %(role)s (%(status)s).")),
    (r"^version (?P<label>\S+) of product \d+ exists already$",
     N_("Version %(label)s exists already; give the new version a label of its own.")),
    (r"^a version holds (?P<low>\d+) to (?P<high>\d+) bytes$", N_("A version's data file has %(low)s to %(high)s bytes.")),
    (r"^the upload's SHA-256 is (?P<actual>[0-9a-f]+), not the declared (?P<declared>\S+)$",
     N_("The uploaded file's SHA-256 is %(actual)s, not the declared %(declared)s.")),
    (r"^version (?P<label>\S+) is (?P<status>\w+), not a draft$",
     N_("Version %(label)s is %(status)s, not a draft.")),
    (r"^version (?P<label>\S+) is (?P<status>\w+), not in review$",
     N_("Version %(label)s is %(status)s, not in compliance review.")),
    (r"^notice_days must be (?P<low>\d+) to (?P<high>\d+)$",
     N_("The notice period must be %(low)s to %(high)s days.")),
    (r"^stage (?P<stage>\w+) was already decided$", N_("The review stage %(stage)s was already decided.")),
    (r"^an organisation does not buy its own product$", N_("An organisation does not buy its own product.")),
    (r"^accept the licence terms to sign the contract", N_("Accept the licence terms to sign the contract.")),
    (r"^choose an approved assessor organisation other than your own$",
     N_("Choose an approved assessor organisation other than your own.")),
    (r"^the public notice runs until (?P<deadline>\S+)$",
     N_("The public notice runs until %(deadline)s; the version is certified after it.")),
    (r"^the public notice ended at (?P<deadline>\S+)",
     N_("The public notice ended at %(deadline)s; objections are no longer accepted.")),
    (r"^an objection is still open", N_("An objection is still open; resolve it first.")),
    (r"^order \d+ has used all (?P<quantity>\d+) of its (?P<model>\w+) quota",
     N_("The order has used all %(quantity)s of its quota (%(model)s).")),
    # Notification settings.
    (r"^at most (?P<limit>\d+) webhooks per person$", N_("At most %(limit)s webhooks per person.")),
    # The bureau's sheets as a whole (opportunity items, indicator figures).
    (r"^missing columns: (?P<columns>.+)$", N_("The sheet lacks the columns %(columns)s.")),
    (r"^the sheet is empty: the first row must be the headers$", N_("The sheet is empty: the first row must be the headers.")),
    (r"^the first row must be the headers (?P<columns>.+)$", N_("The first row must be the headers %(columns)s.")),
    # A cell of the bureau's opportunity sheet (after "row N, column 名称: ").
    (r"^must not be empty$", N_("must not be empty.")),
    (r"^(?P<cell>'[^']*'|\"[^\"]*\") is not 供给 or 需求$", N_("%(cell)s is neither 供给 nor 需求.")),
    (r"^(?P<cell>'[^']*'|\"[^\"]*\") is not one of (?P<choices>\S+)$", N_("%(cell)s is not one of %(choices)s.")),
    (r"^(?P<cell>'[^']*'|\"[^\"]*\") is not a number of 万元$", N_("%(cell)s is not a number of 万元.")),
    (r"^(?P<cell>'[^']*'|\"[^\"]*\") is not between (?P<low>[\d.]+) and (?P<high>[\d.]+) 万元$",
     N_("%(cell)s is not between %(low)s and %(high)s 万元.")),
    (r"^(?P<cell>'[^']*'|\"[^\"]*\") is not a whole number of fen$", N_("%(cell)s is not a whole number of fen.")),
    (r"^(?P<cell>'[^']*'|\"[^\"]*\") is not a date \(YYYY-MM-DD\)$", N_("%(cell)s is not a date (YYYY-MM-DD).")),
    (r"^devices and hours must both be numbers$", N_("Devices and hours must both be numbers.")),
)]
# A file's or sheet's refusal names its row (and column) before the message: those, then the message.
ROW = re.compile(r"^row (?P<row>\d+)(?:, column (?P<column>[^:]+))?: (?P<rest>.+)$")


def title_of(exc: SuanliError) -> str:
    """The msgid of the most specific problem type with a title: a new subclass without one of its own
    reads as its parent (an exchange refusal as invalid input), never as the bare generic refusal."""
    for cls in type(exc).__mro__:
        slug = getattr(cls, "slug", None)
        if slug in TITLES:
            return TITLES[slug]
    return GENERIC


def _field(name: str, gettext: Callable[[str], str], fields: Mapping[str, str] | None = None) -> str:
    return gettext({**FIELDS, **(fields or {})}.get(name, label(name)))


def _deadline(text: str) -> str:
    """An ISO timestamp as the pages show times (2026-12-10 08:00), the text as it is if not one."""
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text


def _figure(key: str, value: str, gettext: Callable[[str], str], fields: Mapping[str, str] | None,
            codes: Mapping[str, str] | None) -> str | None:
    """One figure of a detail in the reader's words: fields and codes (statuses, roles, stages) by their
    label, never the slug; amounts, counts and months as they are. None for choices without labels
    (a list's sort columns): the message would show slugs, so the page's plainer wording stands."""
    def code(text: str) -> str:
        return gettext((codes or {}).get(text) or label(text))

    if key == "field":
        return _field(value, gettext, fields)
    if key == "choices":
        slugs = value.split(", ")
        named = [code(v) for v in slugs]
        labelled = all(_has_cjk(n) or n != v for n, v in zip(named, slugs, strict=True))
        return "、".join(named) if labelled else None
    if key == "draft_status":
        return gettext(label(f"draft.{value}"))
    if key.endswith("status") or key in ("role", "stage", "model"):
        return code(value)
    if key == "deadline":
        return _deadline(value)
    if key == "cell":  # as the sheet holds it, in the reader's quotation marks, not Python's
        return gettext(N_("“%(cell)s”")) % {"cell": value[1:-1]}
    return value


def specific(detail: str, lang: str, *, fields: Mapping[str, str] | None = None,
             codes: Mapping[str, str] | None = None) -> str | None:
    """The known English detail in the reader's language with its figures, or None. `fields` and
    `codes` are a page's own names for its fields and codes (the exchange's), over the common ones."""
    gettext = translator(lang)
    row = ROW.match(detail)
    if row:
        rest = specific(row["rest"], lang, fields=fields, codes=codes)
        if rest is None:
            return None
        if row["column"]:
            return gettext(N_("Row %(row)s, column %(column)s: ")) % {"row": row["row"], "column": row["column"]} + rest
        return gettext(N_("Row %(row)s: ")) % {"row": row["row"]} + rest
    for pattern, msgid in PATTERNS:
        found = pattern.search(detail)
        if found:
            figures = {k: _figure(k, v, gettext, fields, codes) for k, v in found.groupdict().items()}
            if None not in figures.values():
                return gettext(msgid) % figures
    return None


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def message(exc: SuanliError, lang: str, detail: str) -> str:
    """`detail` is the service's text already reduced to one language when it came in two. A known
    English sentence is translated before the Chinese check: some details carry a Chinese aside in
    brackets, which alone would let the English sentence through."""
    known = specific(detail, lang)
    if known is not None:
        return known
    if _has_cjk(detail):
        return detail
    if lang != "zh_CN":
        return detail
    gettext = translator(lang)
    title = gettext(title_of(exc))
    field = exc.extra.get("field")
    if exc.extra.get("line"):  # a file's error: where it is, in the reader's words
        where = gettext(N_("line %(line)s")) % {"line": exc.extra["line"]}
        field_word = gettext(N_("field"))
        return f"{title}：{where}" + (f"，{field_word} {field}" if field else "") + "。"
    return f"{title}：{_field(str(field), gettext)}" if field else f"{title}。"
