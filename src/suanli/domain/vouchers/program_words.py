"""A program file in words: what each of its rules means, as an officer reviewing it before publication
reads it (the program editor's preview), in Chinese or English. Pure: a validated `VoucherProgram` in,
sentences out; amounts in yuan, percents as percents, roles and stages by their names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from suanli.domain.vouchers.program import Caps, OrderRules, SideRules, VoucherProgram


@dataclass(frozen=True)
class Clause:
    """One heading of the preview and its sentences."""

    heading: str
    sentences: list[str]


def _yuan(fen: int) -> str:
    yuan = fen / 100
    return f"¥{yuan:,.0f}" if fen % 100 == 0 else f"¥{yuan:,.2f}"


def _pct(value: object) -> str:
    return f"{value}%"


KINDS_ZH = {"compute": "算力", "storage": "存储", "adaptation": "适配服务", "data": "数据", "model_services": "模型服务",
            "corpora": "语料"}
EVIDENCE = {"contract": ("合同", "contract"), "invoice": ("发票", "invoice"), "electricity_use": ("用电证明", "electricity bill"),
            "third_party_verification": ("第三方算力规模报告", "third-party scale report"),
            "project_approval": ("立项批复", "project approval")}
SIDES_ZH = {"demand": "需求侧（用户）", "supply": "供给侧（算力提供方）", "both": "供需两侧", "either": "供需任一侧",
            "provider_xor_user": "提供方或用户其一"}
SETTLEMENT_ZH = {"reserve_fund": "备用金：由指定提供方的备用金先行抵扣", "reimbursement": "事后报销：凭已付款合同申领",
                 "direct_to_claimant": "直接拨付：财政在拨付批次中直接支付给申领方"}


def describe(program: VoucherProgram, *, zh: bool = True, centers: Mapping[str, str] | None = None) -> list[Clause]:
    """Every rule of the program as sentences, in the order an officer reviews them; `centers` gives
    the names (in the reader's language) of the centers a file names by id."""
    t: Callable[[str, str], str] = (lambda a, _b: a) if zh else (lambda _a, b: b)

    def documents(kinds: list[Any]) -> str:
        return ("、" if zh else ", ").join(EVIDENCE.get(k.value, (k.value, k.value))[0 if zh else 1] for k in kinds)

    clauses = [
        Clause(t("基本信息", "Programme"), [
            t(f"{program.issuer.zh}发布的《{program.title.zh}》（{program.year}年，编号 {program.id}）。",
              f"“{program.title.en}” by {program.issuer.en} ({program.year}, id {program.id})."),
            t(f"年度总额 {_yuan(program.budget_fen)}；管理费用{'在预算内列支' if program.management_costs == 'inside_budget' else '在预算外列支'}"
              f"（{_pct(program.management_cost_percent)}）。",
              f"Annual budget {_yuan(program.budget_fen)}; management costs {program.management_costs.replace('_', ' ')} "
              f"({_pct(program.management_cost_percent)})."),
            t(f"适用：{SIDES_ZH.get(program.side.value, program.side.value)}；结算方式：{SETTLEMENT_ZH.get(program.settlement.value, program.settlement.value)}。",
              f"Applies to: {program.side.value.replace('_', ' ')} side; settlement: {program.settlement.value.replace('_', ' ')}."),
        ]),
    ]
    for name, rules in (("demand", program.demand), ("supply", program.supply)):
        if rules is not None:
            clauses.append(_side(name, rules, zh))
    clauses.append(_caps(program.caps, zh))
    clauses.append(_orders(program.orders, zh, centers or {}))
    if program.evidence:
        clauses.append(Clause(t("申请材料", "Documents"), [t(f"每份申请须附：{documents(program.evidence)}。",
                                                             f"Every application cites: {documents(program.evidence)}.")]))
    if program.eligibility:
        clauses.append(Clause(t("申请条件", "Eligibility"),
                              [t(f"{r.message.zh}。", f"{r.message.en}.") for r in program.eligibility]))
    if program.review_stages:
        clauses.append(Clause(t("审核流程", "Review"), [
            t(f"第{i}步：{s.actor.zh}" + (f"评分（满分 {s.max_score}，至少 {s.min_score}）" if s.scored and s.min_score is not None
                                          else "评分" if s.scored else "审核")
              + (f"，须附：{documents(s.requires)}" if s.requires else "")
              + ("，并核实供给侧算力规模" if s.verifies_scale else "") + "。",
              f"Step {i}: {s.actor.en} " + ("scores" if s.scored else "reviews")
              + (f" (out of {s.max_score}, at least {s.min_score})" if s.scored and s.min_score is not None else "")
              + (f"; requires {documents(s.requires)}" if s.requires else "")
              + ("; verifies the supply side's scale" if s.verifies_scale else "") + ".")
            for i, s in enumerate(program.review_stages, start=1)]))
    elif program.apply_and_enjoy:
        clauses.append(Clause(t("审核流程", "Review"), [t("即申即享：提交即发放，无需审核。",
                                                        "Apply and enjoy: granted on application, no review.")]))
    clauses.append(Clause(t("有效期与申报窗口", "Validity and windows"), _validity(program, zh)))
    if program.funders:
        clauses.append(Clause(t("资金来源", "Funders"), [
            t(f"{f.name.zh}：承担每笔发放的 {_pct(f.share_percent)}，预算 {_yuan(f.budget_fen)}。",
              f"{f.name.en}: pays {_pct(f.share_percent)} of every grant, budget {_yuan(f.budget_fen)}.")
            for f in program.funders]))
    if program.sources:
        clauses.append(Clause(t("政策依据", "Sources"), list(program.sources)))
    return clauses


def _side(name: str, rules: SideRules, zh: bool) -> Clause:
    heading = ("需求侧比例" if name == "demand" else "供给侧比例") if zh else f"{name.capitalize()} side ratios"
    sentences = [(f"{KINDS_ZH.get(kind.value, kind.value)}费用补贴 {_pct(percent)}。" if zh
                  else f"{kind.value.capitalize()} is subsidised at {_pct(percent)}.")
                 for kind, percent in rules.ratios.items()]
    for rule in rules.ratio_rules:
        what = rule.message.zh if zh and rule.message else rule.message.en if rule.message else rule.id
        sentences.append(f"{what}：{_pct(rule.percent)}。" if zh else f"{what}: {_pct(rule.percent)}.")
    if rules.tiers is not None:
        bands = "；".join(f"{_yuan(b.from_fen)} 起 {_pct(b.percent)}" for b in rules.tiers.bands) if zh else \
            "; ".join(f"from {_yuan(b.from_fen)}: {_pct(b.percent)}" for b in rules.tiers.bands)
        sentences.append(f"按订单金额分档（{'超额累进' if rules.tiers.mode == 'marginal' else '全额适用'}）：{bands}。" if zh
                         else f"Tiered by order amount ({rules.tiers.mode}): {bands}.")
    return Clause(heading, sentences)


def _caps(caps: Caps, zh: bool) -> Clause:
    sentences = []
    if caps.per_organisation_fen is not None:
        sentences.append(f"每家单位最高 {_yuan(caps.per_organisation_fen)}。" if zh
                         else f"At most {_yuan(caps.per_organisation_fen)} per organisation.")
    if caps.per_application_fen is not None:
        sentences.append(f"每次申请最高 {_yuan(caps.per_application_fen)}。" if zh
                         else f"At most {_yuan(caps.per_application_fen)} per application.")
    if caps.per_organisation_issuer_year_fen is not None:
        sentences.append(f"同一发布部门所有项目每家单位每年合计最高 {_yuan(caps.per_organisation_issuer_year_fen)}。" if zh
                         else f"At most {_yuan(caps.per_organisation_issuer_year_fen)} per organisation and calendar "
                              "year across the issuer's programs.")
    if caps.minimum_claim_fen is not None:
        sentences.append(f"单笔申领不低于 {_yuan(caps.minimum_claim_fen)}。" if zh
                         else f"A claim below {_yuan(caps.minimum_claim_fen)} is refused.")
    return Clause("补贴上限" if zh else "Caps", sentences or ["无上限。" if zh else "No caps."])


def _orders(orders: OrderRules, zh: bool, centers: Mapping[str, str]) -> Clause:
    sentences = ["同一账单（合同或计量用量）在所有项目中只补贴一次。" if zh
                 else "One bill (contract or metered usage) is subsidised once across all programs."]
    if orders.designated_providers:
        named = [centers.get(c, c) for c in orders.designated_providers]
        names = "、".join(named) if zh else ", ".join(named)
        sentences.append(f"仅限指定提供方：{names}。" if zh else f"Designated providers only: {names}.")
    if orders.through_platform:
        sentences.append("仅限通过本平台下单的订单。" if zh else "Only orders placed through this platform count.")
    if orders.no_affiliation:
        sentences.append("买卖双方不得存在关联关系。" if zh else "Buyer and provider must not be related parties.")
    if orders.contract_paid_before_redemption:
        sentences.append("合同付款后方可核销。" if zh else "The contract must be paid before redemption.")
    contract = orders.contract
    if contract is not None:
        if contract.signed_on_or_after is not None:
            sentences.append(f"合同须于 {contract.signed_on_or_after} 或之后签订。" if zh
                             else f"Contracts signed on or after {contract.signed_on_or_after}.")
        if contract.max_term_months is not None:
            sentences.append(f"合同期限不超过 {contract.max_term_months} 个月。" if zh
                             else f"Contract term at most {contract.max_term_months} months.")
        if contract.max_share_percent is not None:
            sentences.append(f"补贴不超过合同金额的 {_pct(contract.max_share_percent)}。" if zh
                             else f"The subsidy is at most {_pct(contract.max_share_percent)} of the contract value.")
    return Clause("订单与合同" if zh else "Orders and contracts", sentences)


def _validity(program: VoucherProgram, zh: bool) -> list[str]:
    sentences = []
    if program.validity.valid_days is not None:
        sentences.append(f"券自发放起 {program.validity.valid_days} 天内有效。" if zh
                         else f"A voucher is valid {program.validity.valid_days} days from its grant.")
    if program.validity.expires_on is not None:
        sentences.append(f"最迟于 {program.validity.expires_on} 到期，余额退回预算。" if zh
                         else f"It expires on {program.validity.expires_on} at the latest; the rest returns to the budget.")
    for window in program.windows:
        sentences.append(f"申报窗口：{window.opens} 至 {window.closes}。" if zh
                         else f"Application window: {window.opens} to {window.closes}.")
    if not program.windows:
        sentences.append("开放后全年可申报。" if zh else "Open all year once opened.")
    return sentences
