"""Re-import an audit export (`suanli audit export`) into an empty log: a new installation that must
carry the old log on, or a database rebuilt without a backup. The file is verified first against the
log's public key (the same check `suanli audit verify` makes); the events keep their bytes, sequence
numbers and leaf hashes, the Merkle nodes and the frontier are rebuilt, and every signed head in the
file is stored as it was signed. Afterwards `check_log` (`suanli admin verify`) holds and new events
append after the imported ones; continuing to sign needs the old signing key (restore it from a
backup or the secrets store), else new heads are signed by a new key, which auditors will see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from suanli.db.repositories import audit as repo
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.export import verify_export
from suanli.domain.audit.merkle import NodeKey, append_to_frontier, leaf_hash
from suanli.domain.audit.signing import SignedTreeHead
from suanli.domain.errors import Conflict, InvalidInput

BATCH = 2000


def import_export(session: Session, records: Iterable[dict[str, Any]], public_key: Ed25519PublicKey) -> tuple[int, int]:
    """Load a verified export into the empty log; (events, heads) imported."""
    kept = list(records)
    verdict = verify_export(kept, public_key)
    if not verdict.ok:
        raise InvalidInput(f"the export does not verify: {verdict.line()}")
    size, _ = repo.lock_state(session)
    if size:
        raise Conflict(f"the audit log already holds {size} entries; import only into an empty log")
    frontier: list[bytes] = []
    events: list[dict[str, Any]] = []
    nodes: list[tuple[NodeKey, bytes]] = []
    heads = 0
    for record in kept:
        if record.get("record") == "event":
            event = record["event"]
            canonical = canonical_json(event)
            leaf = leaf_hash(canonical)
            created = append_to_frontier(frontier, len(events), leaf)
            nodes.extend(created[1:])
            events.append({"seq": event["seq"], "kind": event["kind"], "subject": event["subject"],
                           "organisation_id": event.get("organisation_id"), "canonical": canonical,
                           "leaf_hash": leaf, "created_at": datetime.fromisoformat(event["recorded_at"])})
        elif record.get("record") == "head":
            heads += 1
    for start in range(0, len(events), BATCH):
        repo.insert_events(session, events[start:start + BATCH])
    for start in range(0, len(nodes), BATCH):
        repo.insert_nodes(session, nodes[start:start + BATCH])
    repo.save_state(session, tree_size=len(events), frontier=frontier)
    for record in kept:
        if record.get("record") == "head":
            head = SignedTreeHead.from_dict(record)
            repo.insert_head(session, tree_size=head.tree_size, timestamp_ms=head.timestamp_ms,
                             root_hash=head.root_hash, key_id=head.key_id, signature=head.signature,
                             created_at=datetime.fromtimestamp(head.timestamp_ms / 1000, UTC))
    session.flush()
    return len(events), heads
