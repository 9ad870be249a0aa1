"""Registration certificates (数据产品登记证书): a canonical JSON body signed with the exchange's
Ed25519 key (the transparency log's key), plus the log receipt of its issuance. Everything here runs
offline: a buyer holding the certificate, the public key and the delivered bytes checks all three."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import Signer, key_id
from suanli.domain.audit.verdict import Tampering, Verdict

CERTIFICATE_SCHEMA = "suanli.exchange.certificate/1"
BODY_FIELDS = ("schema", "number", "product_id", "title", "supplier", "version", "sha256", "size_bytes",
               "delivery_mode", "pi_level", "licence_sha256", "issued_at")


def certificate_body(*, number: str, product_id: int, title: str, supplier: str, version: str, sha256: str,
                     size_bytes: int, delivery_mode: str, pi_level: str, licence: str, issued_at: str) -> dict[str, Any]:
    return {"schema": CERTIFICATE_SCHEMA, "number": number, "product_id": product_id, "title": title,
            "supplier": supplier, "version": version, "sha256": sha256, "size_bytes": size_bytes,
            "delivery_mode": delivery_mode, "pi_level": pi_level,
            "licence_sha256": hashlib.sha256(licence.encode()).hexdigest(), "issued_at": issued_at}


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def sign_certificate(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """The certificate without its receipt: body, key id and signature over the body's canonical JSON."""
    signature = signer.private_key.sign(canonical_json(body))
    return {"body": body, "key_id": signer.key_id, "signature": base64.b64encode(signature).decode()}


def verify_certificate(certificate: dict[str, Any], public_key: Ed25519PublicKey) -> Verdict:
    """Check the signature, and the receipt when present: it must prove that the log holds the
    issuance event naming this very certificate (by digest)."""
    try:
        body = certificate["body"]
        signature = base64.b64decode(certificate["signature"], validate=True)
        message = canonical_json(body)
        if sorted(body) != sorted(BODY_FIELDS) or body["schema"] != CERTIFICATE_SCHEMA:
            raise ValueError("unexpected certificate fields")
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        return Verdict.tampered(Tampering.MALFORMED, f"not a certificate: {err}")
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return Verdict.tampered(Tampering.FOREIGN_SIGNATURE,
                                f"the certificate is not signed by key {key_id(public_key)} or was changed")
    receipt = certificate.get("receipt")
    if receipt is not None:
        verdict = verify_receipt(receipt, public_key)
        if not verdict.ok:
            return verdict
        payload = receipt.get("event", {}).get("payload", {})
        if payload.get("certificate_sha256") != digest(body):
            return Verdict.tampered(Tampering.EDITED_ENTRY, "the log's issuance event names another certificate")
    return Verdict.intact(f"certificate {body['number']} for {body['title']} version {body['version']} "
                          f"signed by {key_id(public_key)}")


def verify_delivery(content: bytes, certificate: dict[str, Any], public_key: Ed25519PublicKey) -> Verdict:
    """A delivered file against its certificate: the certificate is genuine and names these bytes."""
    verdict = verify_certificate(certificate, public_key)
    if not verdict.ok:
        return verdict
    body = certificate["body"]
    actual = hashlib.sha256(content).hexdigest()
    if actual != body["sha256"] or len(content) != body["size_bytes"]:
        return Verdict.tampered(Tampering.EDITED_ENTRY,
                                f"the file's SHA-256 is {actual}, the certificate names {body['sha256']}")
    return Verdict.intact(f"the file matches certificate {body['number']} (SHA-256 {actual})")
