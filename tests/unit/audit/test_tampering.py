"""Every kind of tampering with an export or a receipt is detected and named, with its first bad entry."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from suanli.domain.audit.canonical import canonical_json, event_document
from suanli.domain.audit.export import event_record, head_record, header_record, verify_export
from suanli.domain.audit.merkle import MemoryTree, leaf_hash
from suanli.domain.audit.proofs import inclusion_proof
from suanli.domain.audit.receipts import make_receipt, verify_receipt
from suanli.domain.audit.signing import Signer
from suanli.domain.audit.verdict import Tampering

SIGNER = Signer.generate()
OTHER = Signer.generate()
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def build_log(n: int = 20, checkpoints: tuple[int, ...] = (5, 12)) -> tuple[list[dict[str, Any]], MemoryTree]:
    tree = MemoryTree()
    events = []
    for seq in range(n):
        event = event_document(seq=seq, kind="voucher.redeemed", subject=f"voucher:{seq}", organisation_id=seq % 3,
                               payload={"amount_fen": 1000 + seq, "备注": "核销"}, recorded_at=AT)
        tree.append(canonical_json(event))
        events.append(event_record(event, tree.levels[0][-1]))
    heads = [head_record(SIGNER.sign(tree_size=s, timestamp_ms=1000 * s, root_hash=tree.root(s)))
             for s in (*checkpoints, n)]
    header = header_record(public_key=SIGNER.public_key, tree_size=n, exported_at="2026-05-01T08:00:00Z")
    return [header, *events, *heads], tree


def events_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["record"] == "event"]


def test_an_intact_export_verifies() -> None:
    records, _ = build_log()
    verdict = verify_export(records, SIGNER.public_key)
    assert verdict.ok, verdict.line()
    assert verdict.line().startswith("OK 20 entries")


def test_an_edited_field_is_named_with_its_entry() -> None:
    records, _ = build_log()
    events_of(records)[7]["event"]["payload"]["amount_fen"] = 999_999
    verdict = verify_export(records, SIGNER.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.EDITED_ENTRY, 7)
    assert "TAMPERED edited-entry at seq 7" in verdict.line()


def test_a_deleted_entry_is_named() -> None:
    records, _ = build_log()
    records.remove(events_of(records)[9])
    verdict = verify_export(records, SIGNER.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.DELETED_ENTRY, 9)


def test_two_reordered_entries_are_named() -> None:
    records, _ = build_log()
    i = records.index(events_of(records)[3])
    records[i], records[i + 1] = records[i + 1], records[i]
    verdict = verify_export(records, SIGNER.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.REORDERED_ENTRIES, 3)


def test_a_truncated_tail_is_named() -> None:
    records, _ = build_log()
    for record in events_of(records)[-4:]:
        records.remove(record)
    verdict = verify_export(records, SIGNER.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.TRUNCATED_TAIL, 16)


def test_a_forged_appended_entry_is_named() -> None:
    records, _ = build_log()
    forged = event_document(seq=20, kind="voucher.granted", subject="voucher:999", organisation_id=1,
                            payload={"amount_fen": 10_000_000}, recorded_at=AT)
    last_event = records.index(events_of(records)[-1])
    records.insert(last_event + 1, event_record(forged, leaf_hash(canonical_json(forged))))
    verdict = verify_export(records, SIGNER.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.FORGED_APPEND, 20)


def test_a_head_signed_by_another_key_is_named() -> None:
    records, tree = build_log()
    records[-1] = head_record(OTHER.sign(tree_size=20, timestamp_ms=1, root_hash=tree.root()))
    verdict = verify_export(records, SIGNER.public_key)
    assert verdict.kind == Tampering.FOREIGN_SIGNATURE
    assert OTHER.key_id in verdict.message


def test_entries_rewritten_with_fresh_leaf_hashes_do_not_match_the_signed_head() -> None:
    records, _ = build_log()
    record = events_of(records)[8]
    record["event"]["payload"]["amount_fen"] = 1
    record["leaf_hash"] = leaf_hash(canonical_json(record["event"])).hex()
    verdict = verify_export(records, SIGNER.public_key)
    assert (verdict.kind, verdict.seq) == (Tampering.ROOT_MISMATCH, 5)  # first bad entry lies in 5..11


def test_a_history_rewritten_and_resigned_is_inconsistent_with_an_earlier_head() -> None:
    honest, tree = build_log()
    earlier = SIGNER.sign(tree_size=12, timestamp_ms=12_000, root_hash=tree.root(12))
    # The operator (who holds the key) rewrites entry 4 and re-signs everything: only a head the
    # auditor kept from before can tell.
    events = [copy.deepcopy(r["event"]) for r in events_of(honest)]
    events[4]["payload"]["amount_fen"] = 5
    rewritten = MemoryTree()
    for event in events:
        rewritten.append(canonical_json(event))
    records = [honest[0], *[event_record(e, rewritten.levels[0][i]) for i, e in enumerate(events)],
               head_record(SIGNER.sign(tree_size=20, timestamp_ms=99, root_hash=rewritten.root()))]
    assert verify_export(records, SIGNER.public_key).ok
    verdict = verify_export(records, SIGNER.public_key, earlier_heads=[earlier])
    assert verdict.kind == Tampering.INCONSISTENT_WITH_EARLIER_HEAD


@pytest.mark.parametrize("line", [{"record": "nonsense"}, {"record": "head", "tree_size": "x"}])
def test_a_malformed_line_is_reported(line: dict[str, Any]) -> None:
    records, _ = build_log()
    records.insert(3, line)
    assert verify_export(records, SIGNER.public_key).kind == Tampering.MALFORMED


def receipt_for(seq: int) -> dict[str, Any]:
    records, tree = build_log()
    event = events_of(records)[seq]["event"]
    head = SIGNER.sign(tree_size=20, timestamp_ms=1, root_hash=tree.root())
    return make_receipt(event=event, proof=inclusion_proof(seq, 20, tree.nodes), head=head)


def test_a_receipt_verifies_offline_and_any_change_to_it_fails() -> None:
    assert verify_receipt(receipt_for(6), SIGNER.public_key).ok
    edited = receipt_for(6)
    edited["event"]["payload"]["amount_fen"] += 1
    edited.pop("leaf_hash")
    assert verify_receipt(edited, SIGNER.public_key).kind == Tampering.BAD_PROOF
    assert verify_receipt(receipt_for(6), OTHER.public_key).kind == Tampering.FOREIGN_SIGNATURE
    moved = receipt_for(6)
    moved["leaf_index"] = 7
    assert not verify_receipt(moved, SIGNER.public_key).ok
