"""The voucher program (算力券项目) as data: the Pydantic model of a program file.

A city's policy text becomes one YAML file of this shape: annual budget, ratios per item kind and
side, caps, eligibility rules over organisation facts and orders, windows, validity, review stages
and priority sectors. The JSON Schema published for program authors is generated from these classes
(`program_json_schema`), so the schema and the validator can never disagree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from suanli.domain.organisations import OrganisationType, Role

ID_PATTERN = r"^[a-z0-9][a-z0-9.-]{0,62}$"
Fen = Annotated[int, Field(ge=0, le=10**15, description="integer fen (1 yuan = 100 fen)")]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, description="percent of the order value")]


class Side(StrEnum):
    DEMAND = "demand"  # 需求侧: the compute user is subsidised
    SUPPLY = "supply"  # 供给侧: the provider is subsidised


class SideMode(StrEnum):
    DEMAND = "demand"
    SUPPLY = "supply"
    BOTH = "both"  # both sides may claim for the same compute, under separate rules
    PROVIDER_XOR_USER = "provider_xor_user"  # either side, never both for the same compute (Qingyang)


class ItemKind(StrEnum):
    COMPUTE = "compute"  # 算力
    STORAGE = "storage"
    ADAPTATION = "adaptation"  # adaptation support (Langfang's "compute service")
    DATA = "data"  # 数据
    MODEL_SERVICES = "model_services"  # AI model services
    CORPORA = "corpora"  # training corpora (语料)


class Settlement(StrEnum):
    RESERVE_FUND = "reserve_fund"  # redemptions draw the provider's 备用金 (Chengdu)
    REIMBURSEMENT = "reimbursement"  # the buyer pays, then claims against a paid contract (Yangzhou)
    DIRECT_TO_CLAIMANT = "direct_to_claimant"  # finance pays the claimant directly (Qingyang)


class Evidence(StrEnum):
    CONTRACT = "contract"
    INVOICE = "invoice"
    ELECTRICITY_USE = "electricity_use"
    THIRD_PARTY_VERIFICATION = "third_party_verification"
    PROJECT_APPROVAL = "project_approval"


# What a person reads for each type, in Chinese and English (the web catalogue has the same words;
# tests/unit/web keeps them equal): messages outside the web, such as notices, use these.
EVIDENCE_WORDS: dict[Evidence, tuple[str, str]] = {
    Evidence.CONTRACT: ("合同", "contract"), Evidence.INVOICE: ("发票", "invoice"),
    Evidence.ELECTRICITY_USE: ("用电证明", "electricity use"),
    Evidence.THIRD_PARTY_VERIFICATION: ("第三方核验", "third-party verification"),
    Evidence.PROJECT_APPROVAL: ("立项批复", "project approval"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A bilingual text: Chinese first, as the UI shows it by default."""

    zh: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)


class FactTest(Strict):
    """A test on one profile fact (一企一档) an officer recorded with its source and date, e.g. the
    previous year's revenue (`revenue_fen:2023`), the R&D share, a certification, or the credit record
    (`credit:dishonest` must be absent)."""

    key: str = Field(pattern=r"^[a-z0-9_.-]{1,60}(:[a-z0-9_.-]{1,38})?$")
    present: bool = Field(default=True, description="false: the fact must NOT be recorded (or be recorded false)")
    min: Decimal | None = Field(default=None, description="the value is at least this (numbers as recorded)")
    max: Decimal | None = None
    equals: str | None = Field(default=None, max_length=200)
    max_age_days: int | None = Field(default=None, ge=1, le=3660,
                                     description="the fact's date is at most this many days before the application")


class Condition(Strict):
    """Facts about an organisation; every listed test must hold (AND). Omitted tests are not checked."""

    types: list[OrganisationType] | None = Field(default=None, min_length=1)
    cities: list[str] | None = Field(default=None, min_length=1, description="registered city, any of")
    sectors_any: list[str] | None = Field(default=None, min_length=1)
    sme: bool | None = Field(default=None, description="tech SME or micro firm (科技型中小企业)")
    incubator_hosted: bool | None = Field(default=None, description="hosted by an incubator (创客)")
    facts: list[FactTest] | None = Field(default=None, min_length=1, description="profile facts with source and date")


class EligibilityRule(Strict):
    """`require` must hold for every organisation that matches `when` (all organisations if omitted)."""

    id: str = Field(pattern=ID_PATTERN)
    when: Condition | None = None
    require: Condition
    message: Text


class ItemMatch(Strict):
    """Properties of one bought item (a contract line or a metered usage); every listed test must hold."""

    kinds: list[ItemKind] | None = Field(default=None, min_length=1)
    ecosystems: list[str] | None = Field(default=None, min_length=1, description="accelerator ecosystem: cuda, cann, ...")
    domestic: bool | None = Field(default=None, description="domestic (国产) hardware")
    centers: list[str] | None = Field(default=None, min_length=1, description="the center that delivers it")


class RatioRule(Strict):
    """A ratio for the items that match `when`, instead of tiers and the per-kind ratio (first match wins)."""

    id: str = Field(pattern=ID_PATTERN)
    when: ItemMatch
    percent: Percent
    message: Text | None = Field(default=None, description="what the rule is, e.g. 国产算力 / domestic compute")


class Band(Strict):
    from_fen: Fen = Field(description="the band starts at this amount of the order")
    percent: Percent


class Tiers(Strict):
    """Ratios by amount: `marginal` pays each band's percent on the part of the order inside it (like
    income tax); `whole` pays the percent of the band the whole order falls in."""

    kinds: list[ItemKind] = Field(default_factory=lambda: [ItemKind.COMPUTE], min_length=1)
    mode: Literal["marginal", "whole"] = "marginal"
    bands: list[Band] = Field(min_length=1, description="ascending from_fen, the first at 0")


class SideRules(Strict):
    ratios: dict[ItemKind, Percent] = Field(min_length=1, description="item kind -> percent paid by the voucher")
    ratio_rules: list[RatioRule] = Field(
        default_factory=list, description="ratios by item property (ecosystem, domestic, center, kind)")
    tiers: Tiers | None = Field(default=None, description="ratios by order amount for the listed kinds")


class ProjectClass(Strict):
    """A class of applicant project, e.g. lead organisation of a national major AI project."""

    title: Text
    cap_fen: Fen
    ratios: dict[ItemKind, Percent] | None = Field(default=None, description="overrides the demand ratios")


class Caps(Strict):
    per_organisation_fen: Fen | None = None
    per_application_fen: Fen | None = None
    per_organisation_issuer_year_fen: Fen | None = Field(
        default=None, description="an organisation's grants in one calendar year under every program of this "
        "issuer together (cap.issuer-year)")
    minimum_claim_fen: Fen | None = Field(default=None, description="a redemption below this is refused (claim.minimum)")


class ContractRules(Strict):
    """Conditions on the contract a claim is made on (read from the provider-attested record)."""

    signed_on_or_after: date | None = Field(default=None, description="contract.signed-after")
    max_term_months: int | None = Field(default=None, ge=1, le=240, description="contract.term")
    max_share_percent: Percent | None = Field(
        default=None, description="the subsidy is at most this percent of the contract value (contract.share)")


class OrderRules(Strict):
    designated_providers: list[str] | None = Field(default=None, description="center names; omitted = any center")
    through_platform: bool = Field(default=True, description="only orders placed through this platform count")
    no_affiliation: bool = Field(default=False, description="no 关联关系 between buyer and provider")
    contract_paid_before_redemption: bool = False
    no_double_claim: Literal[True] = Field(default=True, description="never subsidised twice, across all programs")
    contract: ContractRules | None = None
    documents: list[Evidence] = Field(
        default_factory=list, description="document types uploaded to the contract before a claim on it (claim.documents)")


class Scale(Strict):
    """Scale thresholds for supply-side vouchers (Qingyang), in PFLOPS FP16."""

    min_pflops_fp16: Decimal = Field(ge=0)
    evidence: list[Evidence] = Field(default_factory=list)


class Window(Strict):
    opens: date
    closes: date


class Validity(Strict):
    valid_days: int | None = Field(default=None, ge=1, le=3660, description="days from grant")
    expires_on: date | None = Field(default=None, description="a fixed last day, whichever comes first")


class ReviewStage(Strict):
    name: str = Field(pattern=ID_PATTERN)
    role: Role = Field(description="the platform role that acts at this stage")
    actor: Text = Field(description="who that is in the policy's words, e.g. 市数据局 / city data bureau")
    scored: bool = False
    min_score: int | None = Field(default=None, ge=0, le=1000)
    max_score: int = Field(default=100, ge=1, le=1000, description="scores run from 0 to this")
    requires: list[Evidence] = Field(
        default_factory=list, description="document types that must be uploaded before approval here (review.documents)")
    verifies_scale: bool = Field(
        default=False, description="the reviewer records the verified scale (PFLOPS FP16) here (scale.verified)")


class Funder(Strict):
    """One funder of a co-funded program (e.g. the city and a district), with its own budget."""

    id: str = Field(pattern=ID_PATTERN)
    name: Text
    budget_fen: Fen
    share_percent: Percent = Field(description="the part of every grant this funder pays")


class VoucherProgram(Strict):
    """One program file."""

    id: str = Field(pattern=ID_PATTERN)
    title: Text
    issuer: Text
    year: int = Field(ge=2000, le=2100)
    budget_fen: Fen = Field(description="the annual total (年度总额), integer fen")
    management_costs: Literal["inside_budget", "outside_budget"] = Field(
        default="inside_budget", description="inside_budget: the management costs are paid out of budget_fen and "
        "reduce what can be granted; outside_budget: funded separately, the whole budget_fen can be granted")
    management_cost_percent: Percent = Field(
        default=Decimal(0), description="the running costs of the program (evaluation, platform operation) as a "
        "percent of budget_fen")
    side: SideMode
    settlement: Settlement = Settlement.RESERVE_FUND
    apply_and_enjoy: bool = Field(default=False, description="即申即享: granted on application, no review")
    grant_may_exceed_request: bool = Field(
        default=False, description="an officer may grant more than was requested (rule grant.above-request)")
    demand: SideRules | None = None
    supply: SideRules | None = None
    caps: Caps = Caps()
    project_classes: dict[str, ProjectClass] = Field(default_factory=dict)
    eligibility: list[EligibilityRule] = Field(default_factory=list)
    orders: OrderRules = OrderRules()
    scale: Scale | None = None
    evidence: list[Evidence] = Field(default_factory=list, description="documents every application must cite")
    windows: list[Window] = Field(default_factory=list, description="omitted = open all year once opened")
    validity: Validity
    review_stages: list[ReviewStage] = Field(default_factory=list)
    priority_sectors: list[str] = Field(default_factory=list)
    funders: list[Funder] = Field(
        default_factory=list, description="co-funding: each funder pays its share of every grant from its own "
        "budget; budget_fen is the combined ceiling")
    sources: list[str] = Field(default_factory=list, description="the policy texts this file encodes")

    def sides(self) -> tuple[Side, ...]:
        if self.side in (SideMode.BOTH, SideMode.PROVIDER_XOR_USER):
            return (Side.DEMAND, Side.SUPPLY)
        return (Side(self.side.value),)

    def ratio(self, side: Side, kind: ItemKind, project_class: str | None = None) -> Fraction | None:
        """The share the voucher pays for `kind` on `side`, or None when that kind is not subsidised."""
        klass = self.project_classes.get(project_class) if project_class else None
        if side is Side.DEMAND and klass is not None and klass.ratios is not None:
            percent = klass.ratios.get(kind)
        else:
            rules = self.demand if side is Side.DEMAND else self.supply
            percent = rules.ratios.get(kind) if rules else None
        return None if percent is None else Fraction(percent) / 100

    def management_costs_fen(self) -> int:
        """The program's running costs in fen, rounded UP (the budget never promises the last fen twice)."""
        share = Fraction(self.management_cost_percent) / 100
        return -(-self.budget_fen * share.numerator // share.denominator)

    def grantable_fen(self) -> int:
        """What grants may use of the annual total: all of it when management costs are paid outside the
        budget, the total less those costs when they are paid inside it."""
        if self.management_costs == "outside_budget":
            return self.budget_fen
        return self.budget_fen - self.management_costs_fen()

    def stage(self, name: str) -> ReviewStage:
        return next(s for s in self.review_stages if s.name == name)


def program_json_schema() -> dict[str, object]:
    schema = VoucherProgram.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://suanli.dev/schemas/voucher-program.schema.json"
    return schema
