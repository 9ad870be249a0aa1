"""The words notices use for a document type (from the domain: services cannot read the web
catalogue) are the web's words for it, in Chinese and English, so a notice and a page never name the
same document differently."""

from __future__ import annotations

from suanli.domain.vouchers.program import EVIDENCE_WORDS, Evidence
from suanli.web import i18n
from suanli.web.labels import LABELS


def test_every_document_type_has_the_web_pages_words() -> None:
    zh, en = i18n.translator("zh_CN"), i18n.translator("en")
    assert set(EVIDENCE_WORDS) == set(Evidence)
    for kind, (words_zh, words_en) in EVIDENCE_WORDS.items():
        assert words_zh == zh(LABELS[kind.value]), kind
        assert words_en == en(LABELS[kind.value]).lower(), kind
