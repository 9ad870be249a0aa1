"""The exchange's pure rules: a certificate verifies offline with the public key alone and any
changed byte (of the certificate or of the delivered file) is detected; the evidence a review needs;
product rules and the columns of a product's schema; catalogue search text that finds a two-character word mid-sentence."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from suanli.domain.audit.signing import Signer
from suanli.domain.exchange import (
    DeliveryMode,
    ExchangeInvalid,
    PiLevel,
    PriceModel,
    ProductDraft,
    certificate_body,
    check_draft,
    like_pattern,
    missing_evidence,
    order_total,
    search_text,
    sign_certificate,
    verify_certificate,
    verify_delivery,
)

CONTENT = "区县,客流\n锦江区,12034\n".encode()


def certificate(signer: Signer, content: bytes = CONTENT) -> dict:
    body = certificate_body(number="SLDX-2026-000001", product_id=7, title="客流数据", supplier="cd-data-group",
                            version="v1", sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content),
                            delivery_mode="dataset", pi_level="none", licence="仅限内部使用",
                            issued_at="2026-12-01T00:00:00Z")
    return sign_certificate(body, signer)


def test_a_certificate_verifies_offline_and_the_delivered_file_matches_it() -> None:
    signer = Signer.generate()
    cert = certificate(signer)
    assert verify_certificate(cert, signer.public_key).ok
    assert verify_delivery(CONTENT, cert, signer.public_key).ok


@pytest.mark.parametrize("index", [0, 7, len(CONTENT) - 1])
def test_one_changed_byte_in_the_file_is_detected(index: int) -> None:
    signer = Signer.generate()
    changed = bytearray(CONTENT)
    changed[index] ^= 0x01
    verdict = verify_delivery(bytes(changed), certificate(signer), signer.public_key)
    assert not verdict.ok and "SHA-256" in verdict.message


def test_a_changed_certificate_or_another_key_is_detected() -> None:
    signer = Signer.generate()
    cert = certificate(signer)
    for field, value in (("sha256", "0" * 64), ("title", "别的数据"), ("version", "v2")):
        assert not verify_certificate({**cert, "body": {**cert["body"], field: value}}, signer.public_key).ok
    assert not verify_certificate(cert, Signer.generate().public_key).ok
    assert not verify_certificate({"body": "x"}, signer.public_key).ok


def test_personal_information_handling_is_evidenced_only_when_the_data_holds_personal_information() -> None:
    assert missing_evidence(PiLevel.NONE, ["source_legality", "authorisation"]) == ["security_level"]
    assert missing_evidence(PiLevel.PERSONAL, ["source_legality", "authorisation", "security_level"]) == [
        "pi_handling"]


def draft(**overrides: object) -> ProductDraft:
    fields: dict[str, object] = {
        "title": "客流数据", "description": "按区县汇总", "sector": "交通", "source": "闸机", "legal_basis": "授权协议",
        "pi_level": PiLevel.NONE, "update_frequency": "每日", "delivery_mode": DeliveryMode.DATASET,
        "price_model": PriceModel.PER_DOWNLOAD, "price_fen": 100, "licence": "仅限内部使用"}
    fields.update(overrides)
    return ProductDraft(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"pi_level": PiLevel.SENSITIVE}, "delivery_mode"),
    ({"delivery_mode": DeliveryMode.COMPUTE}, "center"),
    ({"delivery_mode": DeliveryMode.API}, "price_model"),
    ({"price_model": PriceModel.PER_CALL}, "price_model"),
    ({"title": " "}, "title"),
    ({"price_fen": -1}, "price_fen"),
])
def test_a_product_that_cannot_be_registered_is_refused_naming_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ExchangeInvalid) as refused:
        check_draft(draft(**overrides))
    assert refused.value.extra["field"] == field


@pytest.mark.parametrize(("columns", "message"), [
    (["区县"], r"columns\.0: a column is an object"),
    ([{"name": "  "}], r"columns\.0: the column needs a name"),
    ([{"type": "string"}], r"columns\.0: the column needs a name"),
    ([{"name": 5}], r"columns\.0: name must be text"),
    ([{"name": "区县"}, {"name": "客流"}, {"name": " 区县 "}], r"columns\.2: the name '区县' appears twice"),
    ([{"name": "Flow"}, {"name": "ｆｌｏｗ"}], r"columns\.1: the name 'ｆｌｏｗ' appears twice"),
    ([{"name": "x" * 65}], r"columns\.0: name must have at most 64 characters"),
    ([{"name": "x", "description": "y" * 501}], r"columns\.0: description must have at most 500"),
    ([{"name": "x", "type": "blob"}], r"columns\.0: type 'blob' is not one of string"),
    ([{"name": "x", "type": ["string"]}], r"columns\.0: type \['string'\] is not one of"),
    ([{"name": "x", "comment": "y"}], r"columns\.0: unknown keys comment"),
    ([{"name": f"c{i}"} for i in range(201)], r"columns: at most 200 columns, not 201"),
])
def test_a_schema_entry_that_is_not_a_well_formed_column_is_refused_naming_it(columns: list, message: str) -> None:
    with pytest.raises(ExchangeInvalid, match=message) as refused:
        check_draft(draft(schema=columns))
    assert refused.value.status == 422 and refused.value.extra["field"] == "columns"
    assert " / columns" in refused.value.detail  # and in Chinese after the slash


def test_a_well_formed_schema_is_kept_with_names_trimmed() -> None:
    columns = [{"name": " 区县 ", "type": "string", "description": "行政区划"}, {"name": "客流", "type": "integer"},
               {"name": "备注"}]
    assert check_draft(draft(schema=columns)).schema == [
        {"name": "区县", "type": "string", "description": "行政区划"}, {"name": "客流", "type": "integer"},
        {"name": "备注"}]
    assert len(check_draft(draft(schema=[{"name": f"c{i}"} for i in range(200)])).schema) == 200


def test_an_order_total_is_exact_and_its_quantity_bounded() -> None:
    assert order_total(100_001, 3) == 300_003
    with pytest.raises(ExchangeInvalid):
        order_total(1, 0)


def test_a_two_character_word_in_the_middle_of_a_sentence_is_found_and_wildcards_are_literal() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE p (t TEXT)")
    texts = ["按区县汇总的地铁客流，用于交通规划与商业选址。", "空气质量 100% 实时", "ＡＢＣ全角"]
    db.executemany("INSERT INTO p VALUES (?)", [(search_text([t]),) for t in texts])

    def find(q: str) -> list[str]:
        pattern = like_pattern(q)
        return [r[0] for r in db.execute("SELECT t FROM p WHERE t LIKE ? ESCAPE '\\'", (pattern,))]

    assert find("规划") == [search_text([texts[0]])]
    assert find("%") == [search_text([texts[1]])] and find("_") == []
    assert find("abc") == [search_text([texts[2]])]  # NFKC folds full-width letters, case-insensitively
    assert like_pattern("   ") is None
