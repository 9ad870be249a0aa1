"""A refusal on a Chinese page says what was refused: every problem type the platform raises has a
Chinese title of its own, so a service detail written in English only still reads as "账户余额不足"
or "数据交易请求无效", never as the bare "请求被拒绝" (web/problems.py); a bilingual detail keeps its
Chinese half."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import suanli
from suanli.domain.errors import InvalidInput, SuanliError
from suanli.domain.exchange import ExchangeInvalid
from suanli.domain.ledger.errors import InsufficientFunds
from suanli.web.common import error_text
from suanli.web.i18n import translator
from suanli.web.problems import GENERIC, TITLES

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
    assert error_text(_raised(ExchangeInvalid, "title must have 2 to 200 characters", field="title"),
                      "zh_CN").startswith("数据交易请求无效：")
    assert error_text(_raised(ExchangeInvalid, "columns.0: the column needs a name / columns.0：字段名称不能为空"),
                      "zh_CN") == "columns.0：字段名称不能为空"
    assert error_text(_raised(InsufficientFunds, "account 7 has 100 fen, needs 200"), "en") == (
        "account 7 has 100 fen, needs 200")


def test_a_new_problem_type_without_a_title_reads_as_its_parent() -> None:
    class Unlisted(InvalidInput):
        slug = "not-in-the-titles"

    assert error_text(_raised(Unlisted, "something English"), "zh_CN") == ZH(TITLES["invalid-input"]) + "。"
