"""Explained decisions: every voucher decision lists the rules that fired, in Chinese and English.

A rule has a stable id (`order.no-affiliation`, `cap.organisation`, or an id from the program file)
so an officer, an organisation and a test can all name the same rule. Built-in rules keep their
bilingual message templates here, in one catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from suanli.domain.vouchers.errors import VoucherRuleViolation


class Outcome(StrEnum):
    PASSED = "passed"  # a requirement checked and met
    FAILED = "failed"  # a requirement not met: the decision is a refusal
    LIMITED = "limited"  # an amount was reduced by this rule (ratio, cap, budget, wallet)
    NOTED = "noted"  # information, e.g. a priority sector


# id -> (zh, en) templates; placeholders are filled from the keyword arguments of `fire`.
CATALOGUE: dict[str, tuple[str, str]] = {
    "window.open": ("申领窗口未开放（{detail}）", "the application window is not open ({detail})"),
    "program.side": ("本项目不向{side}一方发放算力券", "this program does not pay the {side} side"),
    "project-class.known": ("项目类别 {project_class} 未在本项目中定义", "project class {project_class} is not defined by this program"),
    "scale.minimum": ("算力规模 {scale} P 低于最低门槛 {minimum} P", "compute scale {scale} P is below the minimum {minimum} P"),
    "scale.evidence": ("缺少证明材料：{missing}", "missing evidence: {missing}"),
    "request.positive": ("申领金额必须大于零", "the requested amount must be positive"),
    "cap.application": ("单次申领上限 {cap}，核定至 {amount}", "per-application cap {cap}; granted amount limited to {amount}"),
    "cap.organisation": ("单位上限 {cap}，已核定 {used}，剩余 {left}", "per-organisation cap {cap}; {used} already granted, {left} left"),
    "cap.project-class": ("{project_class} 牵头单位上限 {cap}，剩余 {left}", "cap for {project_class} leads {cap}; {left} left"),
    "budget.remaining": ("项目年度预算剩余 {left}", "the program's annual budget has {left} left"),
    "grant.amount": ("核定金额 {amount}", "granted amount {amount}"),
    "priority.sector": ("属于优先支持领域：{sectors}", "in a priority sector: {sectors}"),
    "order.item-kind": ("{kind} 不在本项目补贴范围内", "{kind} purchases are not subsidised by this program"),
    "order.designated-provider": ("{provider} 不是指定算力供给方", "{provider} is not a designated provider"),
    "order.through-platform": ("订单未通过平台下单", "the order was not placed through the platform"),
    "order.no-affiliation": ("买方与供给方 {provider} 存在关联关系", "the buyer is affiliated with the provider {provider}"),
    "order.contract-paid": ("兑付前须签订合同并实际支付", "a contract must be signed and actually paid before redemption"),
    "cross-program.double-benefit": ("{basis} 已获{award_zh}支持，不得重复享受",
                                     "{basis} was already paid by the award {award_en}; no double benefit"),
    "order.double-claim": ("{basis} 已获补贴，不得重复申领", "{basis} has already been subsidised; no double claim"),
    "side.provider-xor-user": ("{basis} 已由另一方申领，供需双方不得同时申领", "{basis} was already claimed by the other side; provider and user cannot both claim"),
    "grant.expired": ("算力券已于 {expires_on} 过期", "the voucher expired on {expires_on}"),
    "grant.valid": ("算力券有效期至 {expires_on}", "the voucher is valid until {expires_on}"),
    "ratio": ("{kind} 补贴比例 {percent}%：{share}", "{kind} subsidy ratio {percent}%: {share}"),
    "ratio.item": ("{kind}（{what_zh}）补贴比例 {percent}%：{share}", "{kind} ({what_en}) subsidy ratio {percent}%: {share}"),
    "ratio.tiered": ("按金额分档（{mode_zh}；{bands}）：{amount} 补贴 {share}", "tiered by amount ({mode}; {bands}): {share} on {amount}"),
    "cap.issuer-year": ("同一主管部门全年单位上限 {cap}，已核定 {used}，剩余 {left}", "cap per organisation and calendar year across this issuer's programs {cap}; {used} already granted, {left} left"),
    "budget.funder": ("{funder_zh} 出资预算剩余 {left}（承担 {percent}%）", "{funder_en}'s budget has {left} left (it pays {percent}%)"),
    "wallet.balance": ("算力券余额 {left}", "voucher balance {left}"),
    "review.role": ("{stage} 环节须由 {role} 办理", "stage {stage} must be acted on by a {role}"),
    "review.own-organisation": ("经办人不得审核本单位的申请", "an officer may not act on their own organisation's application"),
    "review.same-person": ("同一人不得办理同一申请的两个环节", "the same person may not act at two stages of one application"),
    "review.min-score": ("评分 {score} 低于最低分 {minimum}", "score {score} is below the minimum {minimum}"),
    "review.score-range": ("评分 {score} 超出 {stage} 环节的评分范围 {span}", "score {score} is outside stage {stage}'s range {span}"),
    "grant.within-request": ("核定金额 {amount} 超过申领金额 {requested}", "granted amount {amount} is above the {requested} requested"),
    "grant.above-request": ("本项目允许核定金额高于申领金额（{requested}）", "this program allows granting more than the {requested} requested"),
    "claim.documents": ("申领前须在合同下上传证明材料：{missing}", "upload these documents to the contract before claiming: {missing}"),
    "claim.minimum": ("兑付金额 {amount} 低于最低申领额 {minimum}", "the amount {amount} is below the minimum claim {minimum}"),
    "contract.signed-after": ("合同签订日 {signed_on} 早于 {earliest}", "the contract was signed on {signed_on}, before {earliest}"),
    "contract.term": ("合同期限 {term} 个月，超过 {limit} 个月", "the contract runs {term} months, more than {limit}"),
    "contract.share": ("补贴不超过合同金额的 {percent}%（{cap}）", "the subsidy is at most {percent}% of the contract value ({cap})"),
    "review.documents": ("{stage} 环节须先上传证明材料：{missing}", "stage {stage} needs these documents uploaded first: {missing}"),
    "scale.verified": ("核验算力规模 {scale} P（最低 {minimum} P）", "verified compute scale {scale} P (minimum {minimum} P)"),
    "scale.unverified": ("{stage} 环节须由审核人记录核验的算力规模", "at stage {stage} the reviewer records the verified compute scale"),
    "review.stage": ("申请当前不处于可审核环节", "the application is not awaiting review"),
    "review.awaiting-documents": ("申请正在等待补充材料（{stage} 环节提出）",
                                  "the application is waiting for the documents asked for at stage {stage}"),
    "documents.supplied": ("所要求的补充材料尚未上传：{missing}", "the documents asked for are not uploaded yet: {missing}"),
    "clawback.amount": ("追回兑付金额 {amount}，退回项目预算", "clawed back {amount}, returned to the program budget"),
    "clawback.once": ("该兑付已被追回", "this redemption has already been clawed back"),
}


@dataclass(frozen=True, slots=True)
class RuleFired:
    id: str
    outcome: Outcome
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "outcome": str(self.outcome), "zh": self.zh, "en": self.en}


# The words of a rule that passed, where CATALOGUE's text states the failure ("低于最低分", "不是指定供给方"):
# a passing check must not read as a refusal on the application page or in a receipt.
PASSED_TEXT: dict[str, tuple[str, str]] = {
    "scale.minimum": ("算力规模 {scale} P，达到最低门槛 {minimum} P", "compute scale {scale} P meets the minimum {minimum} P"),
    "review.min-score": ("评分 {score}，达到最低分 {minimum}", "score {score} meets the minimum {minimum}"),
    "review.role": ("{stage} 环节由 {role} 办理", "stage {stage} is acted on by a {role}"),
    "review.own-organisation": ("经办人不属于申请单位", "the officer is not from the applicant's organisation"),
    "review.same-person": ("经办人未办理本申请的其他环节", "the officer has not acted at another stage of this application"),
    "order.designated-provider": ("{provider} 是指定算力供给方", "{provider} is a designated provider"),
    "order.no-affiliation": ("买方与供给方 {provider} 无关联关系", "the buyer is not affiliated with the provider {provider}"),
    "order.contract-paid": ("合同已签订并实际支付", "the contract is signed and actually paid"),
    "contract.signed-after": ("合同签订日 {signed_on}，不早于 {earliest}", "the contract was signed on {signed_on}, not before {earliest}"),
    "contract.term": ("合同期限 {term} 个月，不超过 {limit} 个月", "the contract runs {term} months, within {limit}"),
    "claim.documents": ("合同下的证明材料已齐全", "the contract's documents are all uploaded"),
    "documents.supplied": ("所要求的补充材料已上传", "the documents asked for are uploaded"),
}


def fire(rule_id: str, outcome: Outcome, **values: Any) -> RuleFired:
    zh, en = PASSED_TEXT[rule_id] if outcome is Outcome.PASSED and rule_id in PASSED_TEXT else CATALOGUE[rule_id]
    return RuleFired(rule_id, outcome, zh.format(**values), en.format(**values))


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one question (may this organisation apply? how much is granted or redeemed?)."""

    allowed: bool
    amount_fen: int = 0
    rules: tuple[RuleFired, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> RuleFired | None:
        return next((r for r in self.rules if r.outcome is Outcome.FAILED), None)

    def rule_ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def explain(self) -> list[dict[str, str]]:
        return [r.as_dict() for r in self.rules]

    def raise_if_refused(self) -> Decision:
        """Turn a refusal into the error the edges render (422 naming the rule)."""
        failed = self.failed
        if failed is not None:
            raise VoucherRuleViolation(f"{failed.en} / {failed.zh}", rule=failed.id, rules=self.explain())
        return self


def decide(rules: list[RuleFired], amount_fen: int = 0) -> Decision:
    allowed = all(r.outcome is not Outcome.FAILED for r in rules)
    return Decision(allowed, amount_fen if allowed else 0, tuple(rules))
