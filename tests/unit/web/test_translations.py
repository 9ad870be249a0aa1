"""The catalogues are complete: every message the web UI shows has a Chinese and an English
translation, with the same placeholders, and the runtime loader returns them."""

from __future__ import annotations

import re

from suanli.web import catalog, i18n
from suanli.web.labels import LABELS

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_message_in_templates_and_code_has_a_chinese_and_an_english_translation() -> None:
    missing = catalog.untranslated()
    assert missing == {"zh_CN": [], "en": []}, "run `python -m suanli.web.catalog` and translate the new ids"


def test_extraction_finds_template_and_python_messages() -> None:
    ids = set(catalog.extract())
    assert "Sign in" in ids  # a template string
    assert set(LABELS.values()) <= ids  # N_() labels in Python


def test_translations_keep_the_placeholders_of_their_message() -> None:
    for lang in i18n.LANGUAGES:
        for msgid, text in i18n.catalogue(lang).items():
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), (lang, msgid)


def test_chinese_is_the_default_and_english_is_chosen_by_alias() -> None:
    assert i18n.DEFAULT == "zh_CN"
    assert i18n.translator("zh_CN")("Sign in") == "登录"
    assert i18n.translator("en")("Sign in") == "Sign in"
    assert i18n.normalise("EN") == "en" and i18n.normalise("zh-cn") == "zh_CN" and i18n.normalise("fr") is None


def test_glossary_words_are_used_for_domain_terms() -> None:
    zh = i18n.translator("zh_CN")
    assert zh("Compute vouchers") == "算力券"
    assert zh("Reserve funds") == "备用金"
    assert zh("Disbursement batches") == "拨付批次"
    assert zh("Program officer") == "主管部门经办人"
    assert zh("Device-hours") == "卡时"
