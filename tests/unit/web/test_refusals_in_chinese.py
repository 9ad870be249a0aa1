"""A refusal on a Chinese page says what was refused: every problem type the platform raises has a
Chinese title of its own, so a service detail written in English only still reads as "账户余额不足"
or "数据交易请求无效", never as the bare "请求被拒绝" (web/problems.py); a bilingual detail keeps its
Chinese half."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import suanli
from suanli.domain.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, SuanliError
from suanli.domain.exchange import ExchangeConflict, ExchangeInvalid, NoticeClosed, QuotaExhausted
from suanli.domain.ledger.errors import InsufficientFunds
from suanli.domain.opportunities.items import OpportunityError
from suanli.domain.vouchers.errors import DocumentTooLarge, VoucherConflict
from suanli.web.common import error_text
from suanli.web.i18n import translator
from suanli.web.problems import GENERIC, PATTERNS, ROW, TITLES, specific, title_of
from suanli.web.routes import exchange as exchange_page

ZH = translator("zh_CN")


def _error_types() -> list[type[SuanliError]]:
    for info in pkgutil.walk_packages(suanli.__path__, f"{suanli.__name__}."):
        if ".migrations" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: list[type[SuanliError]] = []
    pending = [SuanliError]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__module__.startswith("suanli.") and sub not in found:
                found.append(sub)
                pending.append(sub)
    return sorted(found, key=lambda c: c.slug)


def _raised(cls: type[SuanliError], detail: str, **extra: object) -> SuanliError:
    error = cls.__new__(cls)
    SuanliError.__init__(error, detail, **extra)
    return error


ERROR_TYPES = _error_types()


def test_the_platform_raises_many_problem_types() -> None:
    assert len(ERROR_TYPES) > 40


@pytest.mark.parametrize("cls", ERROR_TYPES, ids=lambda c: c.slug)
def test_every_problem_type_has_a_chinese_title_of_its_own(cls: type[SuanliError]) -> None:
    assert cls.slug in TITLES, f"add {cls.slug!r} to web.problems.TITLES and translate it"
    title = ZH(TITLES[cls.slug])
    assert title != ZH(GENERIC) and any("\u4e00" <= ch <= "\u9fff" for ch in title)
    shown = error_text(_raised(cls, "an English-only detail"), "zh_CN")
    assert shown.startswith(title) and ZH(GENERIC) not in shown


def test_an_english_only_refusal_reads_as_its_type_with_the_field_and_a_bilingual_one_keeps_its_chinese() -> None:
    assert error_text(_raised(InsufficientFunds, "account 7 has 100 fen, needs 200"), "zh_CN") == "账户余额不足。"
    assert error_text(_raised(ExchangeInvalid, "the title is not usable", field="title"),
                      "zh_CN").startswith("数据交易请求无效：")
    assert error_text(_raised(ExchangeInvalid, "columns.0: the column needs a name / columns.0：字段名称不能为空"),
                      "zh_CN") == "columns.0：字段名称不能为空"
    assert error_text(_raised(InsufficientFunds, "account 7 has 100 fen, needs 200"), "en") == (
        "account 7 has 100 fen, needs 200")


def test_a_new_problem_type_without_a_title_reads_as_its_parent() -> None:
    class Unlisted(InvalidInput):
        slug = "not-in-the-titles"

    assert error_text(_raised(Unlisted, "something English"), "zh_CN") == ZH(TITLES["invalid-input"]) + "。"


# The refusals the forms meet most, as the services word them: (problem type, English detail, the
# figures a Chinese reader must still see). Ids of the page's own object (application 12, draft 3,
# order 9) are left out of the Chinese text on purpose: the page names that object already.
COMMON_REFUSALS: list[tuple[type[SuanliError], str, tuple[str, ...]]] = [
    (InvalidInput, "reason is required", ("理由",)),
    (InvalidInput, "project is 513 characters; at most 512 are allowed", ("513", "512", "项目")),
    (InvalidInput, "kinds must be one of contract, invoice", ("材料类型", "合同", "发票")),
    (InvalidInput, "the file is empty", ()),
    (DocumentTooLarge, "the file has 20971521 bytes; at most 20971520 are accepted", ("20971521", "20971520")),
    (InvalidInput, "the file's media type is not valid", ()),
    (InvalidInput, "the file needs a name of at most 255 printable characters", ("255",)),
    (VoucherConflict, "application 12 is already granted", ("已核定",)),
    (VoucherConflict, "application 12 is waiting for the documents a reviewer asked for", ()),
    (VoucherConflict, "application 12 is already waiting for documents", ()),
    (VoucherConflict, "document request 4 was already answered", ()),
    (VoucherConflict, "stage expert_panel was already acted on", ()),
    (VoucherConflict, "program draft 3 is published, not awaiting publication", ("已发布",)),
    (Forbidden, "四眼原则 (four eyes): the officer who proposed a program file cannot publish it", ()),
    (InvalidInput, "天府智算 is not a compute provider", ("天府智算",)),
    (InvalidInput, "天府智算 operates no center that program cd-2026 designates", ("天府智算",)),
    (InsufficientFunds, "account program:3:budget holds ¥1,000.00; this transfer would take it to -¥500.00",
     ("¥1,000.00", "-¥500.00")),
    (InvalidInput, "no unbatched settlement statements or claimant payouts for 2026-11", ("2026-11",)),
    (IllegalTransition, "batch PB-2026-11-001 is draft; it must be approved", ("PB-2026-11-001", "草稿", "已通过")),
    (InvalidInput, "a batch title has 1 to 200 characters", ("1", "200")),
    (InvalidInput, "batch 7 has no items to submit", ()),
    (IllegalTransition, "batch 7 is published, not in review", ("已发布",)),
    (IllegalTransition, "batch 7 is in_review: items are added to a draft batch only", ("审核中",)),
    (InvalidInput, "returning a batch needs a note saying what to change", ()),
    (Conflict, "opportunity CD-AI-001 is closed", ("CD-AI-001",)),
    (Conflict, "your organisation has asked for matching on CD-AI-001 already", ("CD-AI-001",)),
    (InvalidInput, "an organisation does not request matching on its own item", ()),
    (InvalidInput, "opportunity CD-AI-001 states no compute need (devices and hours) to quote", ("CD-AI-001",)),
    (OpportunityError, "row 3: compute need: devices must be 1 to 100000, got 0", ("3", "100000", "0")),
    (OpportunityError, "row 5: contact_name must not be empty", ("5", "联系人")),
    (OpportunityError, "description must have at most 4000 characters", ("4000", "描述")),
    (OpportunityError, "missing columns: 联系人、电子邮箱", ("联系人、电子邮箱",)),
    (OpportunityError, "the sheet is empty: the first row must be the headers", ()),
    (InvalidInput, "the first row must be the headers 指标代码、期间、数值", ("指标代码、期间、数值",)),
    (OpportunityError, "row 3, column 名称: must not be empty", ("第 3 行", "名称")),
    (OpportunityError, "row 4, column 类型: '出租' is not 供给 or 需求", ("4", "“出租”", "供给", "需求")),
    (OpportunityError, "row 4, column 领域: 'xx' is not one of 算力、数据、模型", ("4", "xx", "算力、数据、模型")),
    (OpportunityError, "row 6, column 预算（万元）: 'abc' is not a number of 万元", ("6", "abc", "万元")),
    (OpportunityError, "row 6, column 预算（万元）: '-5' is not between 0 and 1000000000 万元", ("-5", "0", "1000000000")),
    (OpportunityError, "row 6, column 预算（万元）: '1.0000001' is not a whole number of fen", ("1.0000001",)),
    (OpportunityError, "row 7, column 截止日期: '2026-13-01' is not a date (YYYY-MM-DD)", ("7", "2026-13-01")),
    (OpportunityError, "row 8, column 算力需求：卡数: devices and hours must both be numbers", ("8", "算力需求：卡数")),
    (OpportunityError, "row 8, column 算力需求：卡数: compute need: hours must be positive, got -1.0", ("8", "-1.0")),
    (ExchangeInvalid, "resolution must have 1 to 2000 characters", ("2000", "处理意见")),
    (ExchangeConflict, "your organisation already applied for supplier (pending)", ("数据提供方", "待审批")),
    (ExchangeConflict, "version v1.2 of product 8 exists already", ("v1.2",)),
    (ExchangeInvalid, "a version holds 1 to 10485760 bytes", ("10485760",)),
    (ExchangeInvalid, "the upload's SHA-256 is " + "ab" * 32 + ", not the declared " + "cd" * 32, ("ab" * 32, "cd" * 32)),
    (ExchangeConflict, "version v1.2 is in_notice, not a draft", ("v1.2", "公示中")),
    (ExchangeConflict, "version v1.2 is registered, not in review", ("v1.2", "已登记")),
    (ExchangeInvalid, "notice_days must be 5 to 30", ("5", "30")),
    (ExchangeConflict, "stage source_legality was already decided", ("来源合法性",)),
    (ExchangeInvalid, "an organisation does not buy its own product", ()),
    (ExchangeInvalid, "accept the licence terms to sign the contract (请先同意许可条款)", ()),
    (ExchangeInvalid, "choose an approved assessor organisation other than your own", ()),
    (ExchangeConflict, "the public notice runs until 2026-12-20T08:00:00+00:00", ("2026-12-20 08:00",)),
    (NoticeClosed, "the public notice ended at 2026-12-20T08:00:00+00:00 (公示期已结束)", ("2026-12-20 08:00",)),
    (ExchangeConflict, "an objection is still open; resolve it first (存在未处理的异议)", ()),
    (QuotaExhausted, "order 9 has used all 100 of its per_call quota (额度已用完)", ("100", "按次调用")),
    (InvalidInput, "at most 10 webhooks per person", ("10",)),
]
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}")
SLUG = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _shown(exc: SuanliError, lang: str) -> str:
    """As the page shows it: the exchange's pages name its fields and codes (roles, stages, price models)."""
    if exc.slug.startswith("exchange-"):
        return exchange_page._refusal(_Request(lang), exc)  # type: ignore[arg-type]
    return error_text(exc, lang)


class _Request:
    """The one thing the exchange's refusal reads of a request: the page's language."""

    def __init__(self, lang: str) -> None:
        self.query_params, self.cookies = {"lang": lang}, {}


@pytest.mark.parametrize(("cls", "detail", "figures"), COMMON_REFUSALS, ids=lambda v: v if isinstance(v, str) else "")
def test_a_common_refusal_reads_in_chinese_with_its_figures(cls: type[SuanliError], detail: str,
                                                            figures: tuple[str, ...]) -> None:
    shown = _shown(_raised(cls, detail), "zh_CN")
    assert all(figure in shown for figure in figures), shown
    assert not SLUG.search(shown), shown
    assert any("\u4e00" <= ch <= "\u9fff" for ch in shown.replace("请先同意许可条款", ""))
    assert not ENGLISH_SENTENCE.search(shown), shown
    assert not shown.startswith(ZH(title_of(_raised(cls, detail)))), "the bare problem title, not the specifics"


def test_every_pattern_has_a_common_refusal_or_an_older_test() -> None:
    met = {p.pattern for p, _ in PATTERNS for _cls, d, _f in COMMON_REFUSALS
           if p.search(d) or ((row := ROW.match(d)) and p.search(row["rest"]))}
    older = {p.pattern for p, _ in PATTERNS[:PATTERNS.index(next(x for x in PATTERNS if "sequenced" in x[0].pattern)) + 1]}
    assert {p.pattern for p, _ in PATTERNS} - met - older == set()


def test_an_english_page_keeps_the_figures_too() -> None:
    shown = error_text(_raised(InvalidInput, "project is 513 characters; at most 512 are allowed"), "en")
    assert "513" in shown and "512" in shown and not any("\u4e00" <= ch <= "\u9fff" for ch in shown)


def test_the_exchange_names_its_own_fields_and_codes() -> None:
    assert specific("title must have 2 to 200 characters", "zh_CN", fields={"title": "Title"}) == "产品名称须为 2 到 200 个字符。"
    assert specific("stage source_legality was already decided", "zh_CN",
                    codes={"source_legality": "Source legality"}) == "评估环节“" + ZH("Source legality") + "”已有结论。"


def test_choices_without_labels_keep_the_plainer_wording_rather_than_show_slugs() -> None:
    shown = error_text(_raised(InvalidInput, "sort must be one of id, name, state", field="sort"), "zh_CN")
    assert shown == ZH(TITLES["invalid-input"]) + "：" + ZH("Sort by")
