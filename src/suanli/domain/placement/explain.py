"""Explanations rendered for people: one message template per exclusion code, in Chinese and English.

Reasons stay data (`Exclusion.code` + `params`) everywhere; only the edges (API, CLI, web) call
`render` to turn them into a sentence in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from suanli.domain.money import format_yuan
from suanli.domain.placement.feasibility import CODES, Exclusion

LANGS = ("zh", "en")

TEMPLATES: dict[str, dict[str, str]] = {
    "center_unavailable": {
        "zh": "算力中心 {center} 当前不可用",
        "en": "center {center} is unavailable right now",
    },
    "wrong_ecosystem": {
        "zh": "生态不符：该资源池为 {ecosystem}，作业接受 {accepted}",
        "en": "wrong ecosystem: the pool is {ecosystem}, the job accepts {accepted}",
    },
    "model_not_accepted": {
        "zh": "型号不符：该资源池为 {model}，作业接受 {accepted}",
        "en": "model not accepted: the pool has {model}, the job accepts {accepted}",
    },
    "not_rated": {
        "zh": "{model} 没有 FP16 算力标定，无法按等效卡或 P 计量",
        "en": "{model} has no FP16 rating, so it cannot be counted in A100-equivalents or P",
    },
    "too_little_memory": {
        "zh": "显存不足：每卡 {memory_gb} GB，需要至少 {required_gb} GB",
        "en": "too little memory: {memory_gb} GB per device, {required_gb} GB needed",
    },
    "region_not_allowed": {
        "zh": "数据驻留限制：位于 {city}，只允许 {allowed}",
        "en": "region not allowed: the center is in {city}, allowed are {allowed}",
    },
    "provider_not_designated": {
        "zh": "{center} 不是算力券项目指定的算力供给方",
        "en": "provider not designated: {center} is not designated by the voucher program",
    },
    "node_too_small": {
        "zh": "节点规格不足：每节点 {devices_per_node} 卡 / {cpus_per_node} 核 / {memory_gb_per_node} GB，"
              "需要 {needed_devices_per_node} 卡 / {needed_cpus} 核 / {needed_memory_gb} GB",
        "en": "node too small: {devices_per_node} devices / {cpus_per_node} CPUs / {memory_gb_per_node} GB per node, "
              "{needed_devices_per_node} devices / {needed_cpus} CPUs / {needed_memory_gb} GB needed",
    },
    "not_enough_devices": {
        "zh": "卡数不足：资源池共 {total} 卡，需要 {required} 卡",
        "en": "not enough devices: the pool has {total} in all, {required} needed",
    },
    "too_many_nodes": {
        "zh": "跨节点数超限：该资源池每个作业至多 {max_nodes} 个节点，需要 {needed_nodes} 个",
        "en": "too many nodes: a job on this pool may span at most {max_nodes} nodes, {needed_nodes} needed",
    },
    "over_budget": {
        "zh": "超出预算：应付 {price}，上限 {max_price}",
        "en": "over budget: {price} to pay, at most {max_price} allowed",
    },
    "no_capacity_before_deadline": {
        "zh": "截止前无法完成：预计 {expected_finish_h} 小时后完成，截止 {deadline_h} 小时",
        "en": "no capacity before the deadline: expected to finish in {expected_finish_h} h, deadline in {deadline_h} h",
    },
    "blocked": {
        "zh": "已排除（调度失败）：{reason}",
        "en": "blocked after a failed dispatch: {reason}",
    },
}
assert set(CODES) <= set(TEMPLATES), "every exclusion code needs a message"

_NONE = {"zh": "（无）", "en": "(none)"}


def _show(value: Any, lang: str) -> Any:
    if isinstance(value, (list, tuple, frozenset, set)):
        return "、".join(map(str, value)) if lang == "zh" else ", ".join(map(str, value)) or _NONE[lang]
    return value


def render(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """One sentence for a reason code in `lang` ("zh" or "en"); money params are shown in yuan."""
    template = TEMPLATES.get(code, {}).get(lang if lang in LANGS else "en")
    return render_with(template, params, lang) if template else code


def render_exclusion(exclusion: Exclusion, lang: str = "en") -> str:
    return render(exclusion.code, exclusion.params, lang)


def explained(exclusion: Exclusion) -> dict[str, Any]:
    """An exclusion as data plus its messages in both languages (what the API returns)."""
    out = exclusion.as_dict()
    out["message"] = {lang: render_exclusion(exclusion, lang) for lang in LANGS}
    return out


# What the user could change so that an excluded pool would take the job (closest alternatives).
SUGGESTIONS: dict[str, dict[str, str]] = {
    "center_unavailable": {"zh": "等待 {center} 恢复", "en": "wait until {center} is back"},
    "wrong_ecosystem": {"zh": "接受 {ecosystem} 生态", "en": "accept the {ecosystem} ecosystem"},
    "model_not_accepted": {"zh": "接受 {model} 型号", "en": "accept the {model} model"},
    "not_rated": {"zh": "按卡数而非等效卡申请", "en": "ask for a device count instead of equivalents"},
    "too_little_memory": {"zh": "接受 {memory_gb} GB 显存", "en": "accept {memory_gb} GB of device memory"},
    "region_not_allowed": {"zh": "允许在 {city} 处理数据", "en": "allow processing in {city}"},
    "provider_not_designated": {"zh": "放弃仅限指定供给方", "en": "drop the designated-provider requirement"},
    "node_too_small": {"zh": "每节点至多 {devices_per_node} 卡、{cpus_per_node} 核",
                       "en": "use at most {devices_per_node} devices and {cpus_per_node} CPUs per node"},
    "not_enough_devices": {"zh": "申请至多 {total} 卡", "en": "ask for at most {total} devices"},
    "too_many_nodes": {"zh": "申请至多 {max_nodes} 个节点", "en": "ask for at most {max_nodes} nodes"},
    "over_budget": {"zh": "预算提高到 {price}", "en": "raise the budget to {price}"},
    "no_capacity_before_deadline": {"zh": "截止时间放宽到 {expected_finish_h} 小时",
                                    "en": "move the deadline to {expected_finish_h} h"},
}


def suggest(exclusion: Exclusion) -> dict[str, str]:
    """The change that would make this pool feasible, in both languages."""
    out = {}
    for lang in LANGS:
        template = SUGGESTIONS.get(exclusion.code, {}).get(lang)
        out[lang] = render_with(template, exclusion.params, lang) if template else render_exclusion(exclusion, lang)
    return out


def render_with(template: str, params: Mapping[str, Any], lang: str) -> str:
    values = {k: _show(v, lang) for k, v in params.items()}
    for key in ("price_fen", "max_price_fen"):
        if params.get(key) is not None:
            values[key.removesuffix("_fen")] = format_yuan(int(params[key]))
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return f"{template} {dict(params)}"
