"""The transparency log (审计日志) as use cases: append an event in the caller's transaction, sequence
pending events into the Merkle tree, sign a tree head (checkpoint), hand out receipts and consistency
proofs, export the log for auditors.

Every state change touching money, vouchers (算力券), grants, reviews, program files, prices or
roles calls `record_event` inside the same transaction, so the change and its log entry commit or
roll back together. `record_event` only inserts into the outbox (no lock shared by business
transactions); `sequence_pending` — run by the worker's leader every tick and by `suanli serve`'s
sequencer thread after commits — gives outbox events their seq and folds them into the tree, and
readers that must see everything (`catch_up`) fold what is pending first. Like every service this
only flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from suanli.config import load_settings
from suanli.db.engine import busy_reason
from suanli.db.models.audit import AuditEvent, AuditTreeHead
from suanli.db.models.base import utcnow
from suanli.db.repositories import audit as repo
from suanli.domain.audit.canonical import (
    assemble_event,
    canonical_json,
    check_event_names,
    normalise,
    normalise_payload,
)
from suanli.domain.audit.errors import EventNotFound, InvalidProofRequest, LogInconsistent, ReceiptPending
from suanli.domain.audit.export import event_record, head_record, header_record, verify_export
from suanli.domain.audit.merkle import NodeKey, append_to_frontier, fold, leaf_hash, pack
from suanli.domain.audit.proofs import consistency_proof, inclusion_proof
from suanli.domain.audit.receipts import make_receipt
from suanli.domain.audit.signing import SignedTreeHead, Signer
from suanli.domain.audit.verdict import Tampering, Verdict
from suanli.logs import request_id


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """What `record_event` hands back: the event's place in the outbox. The sequencer gives it its
    seq after the transaction commits; `event_of_outbox` / `receipt_for_outbox` find it then."""

    outbox_id: int
    kind: str
    subject: str


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A sequenced event: its leaf index and the (unsigned) tree it joined.

    A full receipt with a signed head is `issue_receipt(session, seq=recorded.seq)`.
    """

    seq: int
    leaf_hash: bytes
    tree_size: int
    event: dict[str, Any]
    frontier: tuple[bytes, ...] = field(repr=False)
    outbox_id: int | None = None

    @property
    def root_hash(self) -> bytes:
        """The root of the tree this event joined (folded on demand: most callers never ask)."""
        return fold(self.frontier)


def record_event(session: Session, *, kind: str, subject: str, payload: Mapping[str, Any],
                 organisation_id: int | None = None) -> PendingEvent:
    """Append one canonical event to the outbox in the current transaction (one INSERT, no lock)."""
    return record_events(session, [(kind, subject, payload, organisation_id)])[0]


def record_events(session: Session,
                  events: Sequence[tuple[str, str, Mapping[str, Any], int | None]]) -> list[PendingEvent]:
    """Append several events (kind, subject, payload, organisation_id) to the outbox in one statement.

    Nothing shared is locked: the sequencer (`sequence_pending`) gives them their seq once the
    transaction has committed, so the change and its log entry still commit or roll back together.
    """
    if not events:
        return []
    rows = outbox_rows(events)
    ids = repo.insert_outbox(session.connection(), rows)
    outbox_written(session)
    return [PendingEvent(outbox_id, kind, subject) for outbox_id, (kind, subject, *_rest) in zip(ids, rows, strict=True)]


def outbox_rows(events: Sequence[tuple[str, str, Mapping[str, Any], int | None]]) -> list[repo.OutboxRow]:
    """The outbox rows of events, checked and canonical, not yet written: `record_events` writes them,
    or a writer that puts its own event in with its change in one statement (the ledger's one
    transfer), which then calls `outbox_written`."""
    recorded_at = normalise(utcnow(), "recorded_at")
    # An event written while an HTTP request is handled names that request (the id its response and
    # the access log carry), so an auditor can follow an event back to the request that made it.
    asked_by = request_id()
    rows = []
    for kind, subject, payload, organisation_id in events:
        check_event_names(kind, subject)
        if asked_by and "request_id" not in payload:
            payload = {**payload, "request_id": asked_by}
        rows.append((kind, subject, organisation_id, canonical_json(normalise_payload(payload)), recorded_at))
    return rows


def log_reference(pending: PendingEvent) -> dict[str, Any]:
    """What a row keeps of the event that is its receipt: the outbox id (its seq comes after COMMIT;
    `receipt_of_reference` turns either shape into a signed receipt)."""
    return {"outbox_id": pending.outbox_id}


# --- the sequencer ----------------------------------------------------------------------------------

SEQUENCE_BATCH = 2000

# Called with the session's engine when a transaction that wrote outbox rows commits (the in-process
# sequencer of `suanli serve` listens; see `services/sequencer.py`).
_commit_listeners: list[Callable[[Engine], None]] = []


def on_outbox_commit(listener: Callable[[Engine], None]) -> Callable[[], None]:
    """Call `listener(engine)` after every commit that wrote outbox rows; returns the unsubscriber."""
    _commit_listeners.append(listener)
    return lambda: _commit_listeners.remove(listener)


def outbox_written(session: Session) -> None:
    """This transaction wrote outbox rows: the sequencer is woken after it commits."""
    if _commit_listeners:
        session.info["audit_outbox"] = True


def _notify(session: Session) -> None:
    if not session.info.pop("audit_outbox", False):
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    for listener in _commit_listeners[:]:  # a copy: a sequencer may stop (unsubscribe) meanwhile
        listener(engine)


def _forget(session: Session) -> None:
    session.info.pop("audit_outbox", None)


# Once for every Session: a commit of a session that wrote no outbox row costs one dict lookup.
event.listen(Session, "after_commit", _notify)
event.listen(Session, "after_rollback", _forget)


def sequence_pending(session: Session, *, limit: int = SEQUENCE_BATCH, wait: bool = False) -> list[RecordedEvent]:
    """Give up to `limit` outbox events (oldest first) consecutive seqs, fold them into the Merkle
    frontier and store them as log events, in this transaction (the caller commits).

    Takes the log-state row lock. With `wait=False` a PostgreSQL sequencer that finds another one
    holding it returns [] at once (that one is doing the work); `wait=True` queues behind it.
    """
    session.flush()  # the caller's own outbox rows go first
    state = repo.lock_for_sequencing(session, skip_locked=not wait)
    if state is None:
        return []
    size, frontier = state
    connection = session.connection()
    taken = repo.take_outbox(connection, limit)
    if not taken:
        return []
    old_size, old_packed = size, pack(frontier)
    rows, recorded = [], []
    nodes: list[tuple[int, int, bytes]] = []
    for outbox_id, kind, subject, organisation_id, payload, recorded_at in taken:
        document = assemble_event(seq=size, kind=kind, subject=subject, organisation_id=organisation_id,
                                  recorded_at=recorded_at, payload=json.loads(payload))
        data = canonical_json(document)
        leaf = leaf_hash(data)
        created = append_to_frontier(frontier, size, leaf)
        nodes.extend((level, index, h) for (level, index), h in created[1:])
        rows.append((size, kind, subject, organisation_id, data, leaf, outbox_id))
        size += 1
        recorded.append(RecordedEvent(seq=size - 1, leaf_hash=leaf, tree_size=size, event=document,
                                      frontier=tuple(frontier), outbox_id=outbox_id))
    if not repo.advance_state(connection, old_size=old_size, old_frontier=old_packed, new_size=size,
                              new_frontier=pack(frontier), events=rows, created_at=utcnow(), nodes=nodes):
        raise LogInconsistent("the audit log state changed while the sequencer held its lock")
    return recorded


def catch_up(session: Session) -> list[RecordedEvent]:
    """Sequence everything pending in this transaction (waiting for a running sequencer first), so a
    reader sees every event committed before it, and its own."""
    session.flush()
    if not _maybe_pending(session):
        return []
    done: list[RecordedEvent] = []
    while True:
        batch = sequence_pending(session, wait=True)
        done.extend(batch)
        if len(batch) < SEQUENCE_BATCH:
            return done


def _maybe_pending(session: Session) -> bool:
    """A cheap look before locking: readers with nothing pending take no lock."""
    return repo.outbox_has_rows(session)


def pending_count(session: Session) -> int:
    """Events committed to the outbox that the sequencer has not placed yet."""
    return repo.count_outbox(session)


def event_of_outbox(session: Session, *, outbox_id: int) -> AuditEvent | None:
    """The log event an outbox entry became; None while it waits (EventNotFound when it never existed)."""
    row = repo.event_of_outbox(session, outbox_id)
    if row is None and not repo.outbox_exists(session, outbox_id):
        raise EventNotFound(f"no audit event with outbox id {outbox_id}")
    return row


# --- signing key -----------------------------------------------------------------------------------

KEY_FILE = "audit-signing-key.pem"
_signers: dict[Path, Signer] = {}


def key_path(data_dir: Path | None = None) -> Path:
    return (data_dir if data_dir is not None else load_settings().data_dir) / KEY_FILE


def init_signer(data_dir: Path | None = None) -> Signer:
    """Load the log's Ed25519 key: the configured one (environment or secrets directory, see
    `suanli.config`), else the data directory's, creating that (mode 0600) on first use outside
    production."""
    settings = load_settings()
    configured = settings.secret("audit_signing_key")
    if configured is not None:
        return _configured_signer(configured)
    path = key_path(data_dir).resolve()
    if path in _signers:
        return _signers[path]
    if not path.exists():
        settings.require_no_generation("audit_signing_key")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise LogInconsistent(f"{path} does not hold an Ed25519 private key")
    _signers[path] = Signer(key)
    return _signers[path]


def _configured_signer(pem: bytes) -> Signer:
    cache = Path(f"<configured:{hashlib.sha256(pem).hexdigest()}>")
    if cache not in _signers:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as err:
            raise LogInconsistent(f"the configured audit signing key is not a PEM private key: {err}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise LogInconsistent("the configured audit signing key is not an Ed25519 private key")
        _signers[cache] = Signer(key)
    return _signers[cache]


# --- heads, receipts, proofs ------------------------------------------------------------------------


def _head(row: AuditTreeHead) -> SignedTreeHead:
    return SignedTreeHead(int(row.tree_size), int(row.timestamp_ms), bytes(row.root_hash), row.key_id,
                          bytes(row.signature))


def sign_head(session: Session, *, signer: Signer | None = None) -> SignedTreeHead:
    """Sign a checkpoint over the whole log as it stands in this transaction, pending events folded first."""
    signer = signer or init_signer()
    catch_up(session)
    size, frontier = repo.lock_state(session)
    latest = repo.latest_head(session)
    if latest is not None and latest.tree_size == size and latest.key_id == signer.key_id:
        return _head(latest)
    now = utcnow()
    head = signer.sign(tree_size=size, timestamp_ms=int(now.timestamp() * 1000), root_hash=fold(frontier))
    repo.insert_head(session, tree_size=head.tree_size, timestamp_ms=head.timestamp_ms, root_hash=head.root_hash,
                     key_id=head.key_id, signature=head.signature, created_at=now)
    return head


def head_status(session: Session, *, signer: Signer | None = None) -> tuple[SignedTreeHead, int]:
    """The newest signed head and how many entries (sequenced or still in the outbox) it does not
    cover yet: a page view reads these without taking the log lock."""
    head = latest_head(session, signer=signer)
    size, _ = repo.read_state(session)
    return head, max(0, size - head.tree_size) + repo.count_outbox(session)


def latest_head(session: Session, *, signer: Signer | None = None) -> SignedTreeHead:
    """The newest signed head, signing a first one when there is none yet."""
    row = repo.latest_head(session)
    return _head(row) if row is not None else sign_head(session, signer=signer)


def _lookup(session: Session) -> Callable[[Sequence[NodeKey]], dict[NodeKey, bytes]]:
    return lambda keys: repo.fetch_nodes(session, keys)


def issue_receipt(session: Session, *, seq: int, signer: Signer | None = None) -> dict[str, Any]:
    """A receipt for event `seq`: inclusion proof against the newest head, signed now if none covers it."""
    row = repo.get_event(session, seq)
    if row is None and catch_up(session):  # a seq just past the log: pending events may reach it
        row = repo.get_event(session, seq)
    if row is None:
        raise EventNotFound(f"no audit event with seq {seq}")
    head_row = repo.latest_head(session)
    head = _head(head_row) if head_row is not None and head_row.tree_size > seq else sign_head(session, signer=signer)
    proof = inclusion_proof(seq, head.tree_size, _lookup(session))
    return make_receipt(event=event_of(row), proof=proof, head=head)


RECEIPT_RETRY_AFTER_S = 1


def receipt_for_outbox(session: Session, *, outbox_id: int, wait_s: float, signer: Signer | None = None,
                       visible: Callable[[AuditEvent], bool] = lambda _row: True) -> dict[str, Any]:
    """The receipt of the event an outbox entry became, sequencing what is pending when it is not
    placed yet, but waiting at most `wait_s` for the log (a sequencer may hold it): ReceiptPending
    (503 with Retry-After and the outbox id) when that is not enough, EventNotFound when no such
    entry is committed or `visible` refuses its event."""
    row = event_of_outbox(session, outbox_id=outbox_id)
    if row is None:
        try:
            with session.begin_nested():  # a lock timeout undoes the savepoint, not the caller's transaction
                repo.bounded_lock_wait(session, int(wait_s * 1000))
                catch_up(session)
        except DBAPIError as exc:
            if busy_reason(exc) is None:
                raise
            raise ReceiptPending(f"audit event {outbox_id} of the outbox is not sequenced yet (it is being "
                                 f"written to the audit log); retry in {RECEIPT_RETRY_AFTER_S} s",
                                 retry_after_s=RECEIPT_RETRY_AFTER_S,
                                 outbox_id=outbox_id) from None
        row = event_of_outbox(session, outbox_id=outbox_id)
    if row is None or not visible(row):
        raise EventNotFound(f"no audit event with outbox id {outbox_id}")
    return issue_receipt(session, seq=int(row.seq), signer=signer)


def receipt_of_reference(session: Session, *, reference: Mapping[str, Any] | None, wait_s: float,
                         signer: Signer | None = None) -> dict[str, Any] | None:
    """The signed receipt a row's stored reference points to: `{"outbox_id": N}` (written since the
    outbox, resolved with a bounded wait: ReceiptPending while the sequencer has not placed it) or the
    older `{"seq": N, ...}` (sequenced in the business transaction). None when the row keeps neither."""
    if reference and "outbox_id" in reference:
        return receipt_for_outbox(session, outbox_id=int(reference["outbox_id"]), wait_s=wait_s, signer=signer)
    if reference and "seq" in reference:
        return issue_receipt(session, seq=int(reference["seq"]), signer=signer)
    return None


@dataclass(frozen=True, slots=True)
class LogPlace:
    """Where the event a row refers to stands in the log, for a page: its seq and leaf hash once
    sequenced, None for both while it waits in the outbox."""

    seq: int | None
    leaf_hash: str | None

    @property
    def pending(self) -> bool:
        return self.seq is None


def places_of(session: Session, references: Sequence[Mapping[str, Any] | None]) -> list[LogPlace | None]:
    """The log place of each stored reference (None where a row keeps none), with one query and no
    lock: a page shows "being written to the audit log" for a pending one instead of waiting."""
    outbox_ids = [int(r["outbox_id"]) for r in references if r and "outbox_id" in r]
    placed = repo.places_of_outbox(session, outbox_ids) if outbox_ids else {}
    places: list[LogPlace | None] = []
    for reference in references:
        if reference and "outbox_id" in reference:
            found = placed.get(int(reference["outbox_id"]))
            places.append(LogPlace(found[0], found[1].hex()) if found else LogPlace(None, None))
        elif reference and "seq" in reference:
            places.append(LogPlace(int(reference["seq"]), reference.get("leaf_hash")))
        else:
            places.append(None)
    return places


def event_of(row: AuditEvent) -> dict[str, Any]:
    """The canonical event document of a stored row."""
    document: dict[str, Any] = json.loads(row.canonical)
    return document


def consistency(session: Session, *, first: int, second: int) -> list[bytes]:
    """RFC 9162 consistency proof between two tree sizes the log has reached."""
    size, _ = repo.read_state(session)
    if second > size:
        raise InvalidProofRequest(f"the log has {size} entries, fewer than {second}")
    return consistency_proof(first, second, _lookup(session))


def check_log(session: Session, *, public_key: Ed25519PublicKey | None = None) -> Verdict:
    """Re-hash the stored log and compare it with every stored signed head.

    Catches a database rewritten behind the service: edited event bytes no longer match their leaf
    hash, and a rewrite that recomputed every hash no longer matches the heads signed before it.
    """
    public_key = public_key or init_signer().public_key
    size, frontier = repo.read_state(session)
    verdict = verify_export(lambda: _records(session, size), public_key, signed_tail=False)
    if verdict.ok and not verdict.message.endswith(fold(frontier).hex()):
        return Verdict.tampered(Tampering.ROOT_MISMATCH, "the stored events no longer hash to the log's root")
    return verdict


def _records(session: Session, size: int) -> Iterator[dict[str, Any]]:
    for _seq, canonical, leaf in repo.iter_events(session, below=size):
        yield event_record(json.loads(canonical), leaf)
    for row in repo.list_heads(session):
        yield head_record(_head(row))


def export_log(session: Session, *, signer: Signer | None = None) -> Iterator[dict[str, Any]]:
    """The export records: header, events, heads (a fresh head over the whole log last)."""
    signer = signer or init_signer()
    head = sign_head(session, signer=signer)
    yield header_record(public_key=signer.public_key, tree_size=head.tree_size,
                        exported_at=normalise(utcnow(), "exported_at"))
    for record in _records(session, head.tree_size):
        if record["record"] == "head" and record["tree_size"] > head.tree_size:
            continue
        yield record
