"""What an award pays for (its basis), spelled one way across every program, and related parties.

A basis is the product, contract or expense no two benefits may pay. Vouchers key a contract as
`contract:<provider organisation id>:<normalised number>` (`domain.vouchers.contracts`), so an award
on a contract uses the same key: `合同 No. YZ-2024-001` and `yz2024001` of one provider are one basis.
A product id or any other basis is normalised the same way (NFKC, case, separators), inside its kind:
`product:<id>`, `expense:<id>`, `revenue:<org>:<year>`...

Related parties (关联方): two organisations are under common control when the bureau's profile facts
give them the same actual controller (`actual_controller`), or one is the other's parent
(`parent_organisation` naming the other)."""

from __future__ import annotations

import re
import unicodedata

from suanli.domain.awards.errors import AwardRuleViolation
from suanli.domain.errors import InvalidInput
from suanli.domain.profile import OrganisationProfile
from suanli.domain.vouchers.contracts import contract_bill, normalise_contract_number

_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_SEPARATORS = re.compile(r"[\s\-_./\\·—–,，、:：#()（）\[\]【】]+")


def _key(text: str) -> str:
    key = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold().strip())
    if not key or any(unicodedata.category(ch).startswith("C") for ch in key):
        raise InvalidInput("the basis has no usable characters", field="basis")
    return key


def normalise_basis(basis: str) -> str:
    """`kind:rest` with `rest` spelled one way; a contract as the voucher engine keys it."""
    if not isinstance(basis, str) or ":" not in basis:
        raise InvalidInput("a basis is kind:id, e.g. product:XX-1 or contract:<provider id>:<number> / 依据须写作"
                           "“类别:名称”，如 product:XX-1", field="basis")
    kind, _, rest = unicodedata.normalize("NFKC", basis).strip().partition(":")
    kind = kind.strip().casefold()
    if not _KIND.match(kind):
        raise InvalidInput(f"the basis kind {kind!r} is not a word (product, standard, project, ...) / 依据类别"
                           f"“{kind}”须为英文单词，如 product、standard、project", field="basis")
    if kind == "contract":
        provider, _, number = rest.partition(":")
        if not provider.strip().isdigit():
            raise InvalidInput("a contract basis is contract:<provider organisation id>:<number>", field="basis")
        return contract_bill(int(provider), number)
    if kind == "usage":
        raise InvalidInput("awards do not pay a metered usage; name the product, contract or expense", field="basis")
    parts = [_key(p) for p in rest.split(":")] if kind == "revenue" else [_key(rest)]
    return ":".join([kind, *parts])


def contract_basis(provider_organisation_id: int, number: str) -> str:
    return f"contract:{provider_organisation_id}:{normalise_contract_number(number)}"


def _norm(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold().replace(" ", "").strip()


def related_by(a: OrganisationProfile, b: OrganisationProfile) -> tuple[str, str] | None:
    """Why two organisations are related parties (zh, en), or None. Reads only the bureau's facts."""
    ca, cb = a.facts.get("actual_controller"), b.facts.get("actual_controller")
    if ca is not None and cb is not None and _norm(ca.value) == _norm(cb.value):
        zh = f"{a.organisation} 与 {b.organisation} 实际控制人同为 {ca.value}（{ca.source}，{ca.as_of}；{cb.source}，{cb.as_of}）"
        en = (f"{a.organisation} and {b.organisation} have the same actual controller, {ca.value} "
              f"({ca.source}, {ca.as_of}; {cb.source}, {cb.as_of})")
        return zh, en
    for child, parent in ((a, b), (b, a)):
        fact = child.facts.get("parent_organisation")
        if fact is not None and _norm(fact.value) == _norm(parent.organisation):
            return (f"{parent.organisation} 是 {child.organisation} 的母公司（{fact.source}，{fact.as_of}）",
                    f"{parent.organisation} is the parent of {child.organisation} ({fact.source}, {fact.as_of})")
    return None


def check_related_parties(item_code: str, item_title: tuple[str, str], profiles: dict[str, OrganisationProfile]) -> None:
    """Refuse when any two parties of a related-party-refused item are under common control."""
    named = list(profiles.items())
    for i, (_pa, a) in enumerate(named):
        for _pb, b in named[i + 1:]:
            if a.organisation == b.organisation:
                why = (f"{a.organisation} 不能同时是两方", f"{a.organisation} cannot be both parties")
            else:
                found = related_by(a, b)
                if found is None:
                    continue
                why = found
            raise AwardRuleViolation(f"{item_title[1]} refuses related parties: {why[1]} / {item_title[0]}"
                                     f"不予支持关联方交易：{why[0]}", rule=f"{item_code}.related-party")
