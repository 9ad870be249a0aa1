"""`audit_verify_peak_mb`: the peak memory of the offline verifier (`suanli audit verify FILE --pubkey
KEY`, a process of its own) on an export of 4 million entries (SUANLI_BENCH_VERIFY_ENTRIES), and
its time. The export is written the way `suanli audit export` writes one: a header, every event in
sequence order with its leaf hash (events built by the domain's own `assemble_event`, realistic
kinds and payloads), a signed head every 500,000 entries and one over the whole log last. The
verifier reads the file twice (the heads, then the events) keeping the tree's frontier and the roots
at the heads' sizes, so its memory does not grow with the log (it held every event before: 11 GB at
4.4 million). Peak RSS is the child's `ru_maxrss`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from suanli.domain.audit.canonical import assemble_event, canonical_json
from suanli.domain.audit.export import event_record, head_record, header_record
from suanli.domain.audit.merkle import append_to_frontier, fold, leaf_hash
from suanli.domain.audit.signing import Signer, public_key_pem

SUANLI = Path(sys.executable).parent / "suanli"
HEAD_EVERY = 500_000
KINDS = ("ledger.transfer_posted", "job.state_changed", "voucher.redemption_posted", "user.signed_in")


def write_export(path: Path, entries: int, signer: Signer) -> None:
    frontier: list[bytes] = []
    line = lambda record: json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    with path.open("w", encoding="utf-8") as out:
        out.write(line(header_record(public_key=signer.public_key, tree_size=entries, exported_at="2026-12-01T00:00:00Z")))
        heads = []
        for seq in range(entries):
            event = assemble_event(seq=seq, kind=KINDS[seq % 4], subject=f"ledger_transfer:{seq}",
                                   organisation_id=1 + seq % 1000, recorded_at="2026-06-01T08:00:00.000000Z",
                                   payload={"amount_fen": 1000 + seq % 97_000, "account_id": seq % 2324,
                                            "memo": "算力券核销"})
            leaf = leaf_hash(canonical_json(event))
            append_to_frontier(frontier, seq, leaf)
            out.write(line(event_record(event, leaf)))
            if (seq + 1) % HEAD_EVERY == 0 or seq + 1 == entries:
                heads.append(signer.sign(tree_size=seq + 1, timestamp_ms=1_796_000_000_000 + seq, root_hash=fold(frontier)))
        for head in heads:
            out.write(line(head_record(head)))


def measure(entries: int) -> dict[str, object]:
    signer = Signer.generate()
    with tempfile.TemporaryDirectory(prefix="suanli-bench-verify-") as tmp:
        export, key = Path(tmp) / "export.jsonl", Path(tmp) / "log.pub"
        key.write_text(public_key_pem(signer.public_key))
        started = time.perf_counter()
        write_export(export, entries, signer)
        written_s = time.perf_counter() - started
        started = time.perf_counter()
        child = subprocess.Popen([str(SUANLI), "audit", "verify", str(export), "--pubkey", str(key)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        verify_s = time.perf_counter() - started
        said = (child.stdout.read() + child.stderr.read()).decode().strip() if child.stdout and child.stderr else ""
        size_mb = export.stat().st_size / 2**20
    return {"value": round(usage.ru_maxrss / 1024, 1), "unit": "MB peak RSS",
            "goal": "<= 512 MB at 4 million entries", "entries": entries, "export_mb": round(size_mb, 1),
            "verify_s": round(verify_s, 1), "write_s": round(written_s, 1),
            "exit_status": os.waitstatus_to_exitcode(status), "verdict": said[:200]}


def run() -> dict[str, dict[str, object]]:
    entries = int(os.environ.get("SUANLI_BENCH_VERIFY_ENTRIES", "4000000"))
    return {"audit_verify_peak_mb": measure(entries)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
