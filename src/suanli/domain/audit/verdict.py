"""The outcome of an offline check: intact, or the first bad entry and the kind of tampering."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tampering(StrEnum):
    MALFORMED = "malformed"  # a line that is not a well-formed export record
    EDITED_ENTRY = "edited-entry"  # an event's bytes no longer hash to its leaf hash
    DELETED_ENTRY = "deleted-entry"  # a sequence number is missing
    REORDERED_ENTRIES = "reordered-entries"  # entries out of sequence order
    TRUNCATED_TAIL = "truncated-tail"  # a signed head covers entries the file no longer holds
    FORGED_APPEND = "forged-append"  # entries after the newest signed head (nobody signed them)
    FOREIGN_SIGNATURE = "foreign-signature"  # a head not signed by the log's key
    ROOT_MISMATCH = "root-mismatch"  # entries rewritten together with their leaf hashes
    INCONSISTENT_WITH_EARLIER_HEAD = "inconsistent-with-earlier-head"  # history rewritten since a head you hold
    BAD_PROOF = "bad-proof"  # a receipt's inclusion proof does not lead to its head's root


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    message: str
    kind: Tampering | None = None
    seq: int | None = None

    @classmethod
    def intact(cls, message: str) -> Verdict:
        return cls(True, message)

    @classmethod
    def tampered(cls, kind: Tampering, message: str, seq: int | None = None) -> Verdict:
        return cls(False, message, kind, seq)

    def line(self) -> str:
        if self.ok:
            return f"OK {self.message}"
        where = f" at seq {self.seq}" if self.seq is not None else ""
        return f"TAMPERED {self.kind}{where}: {self.message}"
