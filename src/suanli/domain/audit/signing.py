"""Signed tree heads (checkpoints) with Ed25519.

The signed message is the canonical JSON of {"schema", "tree_size", "timestamp_ms", "root_hash"
(lower-case hex)}: an auditor can rebuild it byte for byte from an exported head. A key is named by
its key id, the first 16 hex digits of SHA-256 over the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.errors import NotCanonical

HEAD_SCHEMA = "suanli.audit.head/1"


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def parse_public_key(text: str | bytes) -> Ed25519PublicKey:
    """Accept a PEM public key, or the raw 32-byte key in base64 or hex."""
    data = text.encode() if isinstance(text, str) else text
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(stripped)
        if not isinstance(key, Ed25519PublicKey):
            raise NotCanonical("the public key is not an Ed25519 key")
        return key
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            raw = decode(stripped.decode())
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return Ed25519PublicKey.from_public_bytes(raw)
    raise NotCanonical("not an Ed25519 public key (PEM, or 32 raw bytes in hex or base64)")


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    tree_size: int
    timestamp_ms: int
    root_hash: bytes
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return head_message(self.tree_size, self.timestamp_ms, self.root_hash)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": HEAD_SCHEMA, "tree_size": self.tree_size, "timestamp_ms": self.timestamp_ms,
                "root_hash": self.root_hash.hex(), "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedTreeHead:
        try:
            return cls(tree_size=_int(data["tree_size"]), timestamp_ms=_int(data["timestamp_ms"]),
                       root_hash=bytes.fromhex(data["root_hash"]), key_id=str(data["key_id"]),
                       signature=base64.b64decode(data["signature"], validate=True))
        except (KeyError, TypeError, ValueError, binascii.Error) as err:
            raise NotCanonical(f"malformed signed tree head: {err}") from err

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, self.message())
        except InvalidSignature:
            return False
        return True


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return value


def head_message(tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    return canonical_json({"schema": HEAD_SCHEMA, "tree_size": tree_size, "timestamp_ms": timestamp_ms,
                           "root_hash": root_hash.hex()})


class Signer:
    """An Ed25519 private key that signs tree heads."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    def sign(self, *, tree_size: int, timestamp_ms: int, root_hash: bytes) -> SignedTreeHead:
        signature = self.private_key.sign(head_message(tree_size, timestamp_ms, root_hash))
        return SignedTreeHead(tree_size, timestamp_ms, root_hash, self.key_id, signature)
