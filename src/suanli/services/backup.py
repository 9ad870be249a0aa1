"""Encrypted backups of one installation: the database, the audit log's signing key and the web
secret (and the SMTP password when one is configured), and the evidence files of the content-addressed
document store (`documents/`), in one file sealed with an operator passphrase.

File format (version 1): `MAGIC`, a 16-byte scrypt salt, an 8-byte nonce prefix, then chunks of
`uint32 length + AES-256-GCM ciphertext`; chunk *i* uses nonce `prefix + i` (big-endian uint32) and
the associated data `header + final-flag`, so a reordered, truncated or extended file does not
decrypt. The plaintext is a tar archive of `manifest.json`, the database dump (`database.sqlite` from
SQLite's online backup API, or `database.pgdump` in pg_dump's custom format), `secrets/<name>` and
`documents/ab/<sha256>` (absent from backups made before documents existed; restore takes both).
"""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from suanli.config import SECRET_FILES, Settings
from suanli.db import backup as db_backup
from suanli.db.blobs import BlobStore
from suanli.db.engine import make_engine
from suanli.domain.errors import Conflict, InvalidInput
from suanli.services import audit

MAGIC = b"SUANLI-BACKUP\x00\x01"
CHUNK = 1 << 20
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
MIN_PASSPHRASE = 12


class BadPassphrase(InvalidInput):
    slug, title = "bad-backup-passphrase", "Wrong passphrase or damaged backup"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    dialect: str
    revision: str | None
    secrets: tuple[str, ...]
    created_at: str
    bytes: int


# --- encryption ---------------------------------------------------------------------------------------


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode())


def encrypt_stream(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(f"the backup passphrase needs at least {MIN_PASSPHRASE} characters")
    salt, prefix = os.urandom(16), os.urandom(8)
    header = MAGIC + salt + prefix
    aead = AESGCM(_key(passphrase, salt))
    target.write(header)
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        final = not following
        sealed = aead.encrypt(prefix + struct.pack(">I", index), chunk, header + (b"\x01" if final else b"\x00"))
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if final:
            return
        chunk, index = following, index + 1


def _read_sealed(source: BinaryIO) -> bytes | None:
    size_bytes = source.read(4)
    if not size_bytes:
        return None
    sealed = source.read(struct.unpack(">I", size_bytes)[0]) if len(size_bytes) == 4 else b""
    if len(size_bytes) < 4 or len(sealed) < struct.unpack(">I", size_bytes)[0]:
        raise BadPassphrase("the backup file is truncated")
    return sealed


def decrypt_stream(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    header = source.read(len(MAGIC) + 24)
    if len(header) < len(MAGIC) + 24 or not header.startswith(MAGIC):
        raise InvalidInput("not a Suanli backup file (or a newer format)")
    salt, prefix = header[len(MAGIC):len(MAGIC) + 16], header[len(MAGIC) + 16:]
    aead = AESGCM(_key(passphrase, salt))
    current = _read_sealed(source)
    if current is None:
        raise BadPassphrase("the backup file is truncated")
    index = 0
    while current is not None:
        following = _read_sealed(source)
        flag = b"\x01" if following is None else b"\x00"
        try:
            target.write(aead.decrypt(prefix + struct.pack(">I", index), current, header + flag))
        except InvalidTag:
            raise BadPassphrase("wrong passphrase, or the backup file was altered or truncated") from None
        current, index = following, index + 1


# --- backup and restore ----------------------------------------------------------------------------


def _current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return ",".join(sorted(heads)) or None


def _secrets_in_use(settings: Settings) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for name, file_name in SECRET_FILES.items():
        value = settings.secret(name)
        if value is None and (settings.data_dir / file_name).is_file():
            value = (settings.data_dir / file_name).read_bytes()
        if value is not None:
            found[name] = value
    if "audit_signing_key" not in found:  # the log has no key yet: create it now so the backup has one
        audit.init_signer(settings.data_dir)
        found["audit_signing_key"] = audit.key_path(settings.data_dir).read_bytes()
    return found


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def backup(settings: Settings, out: Path, passphrase: str) -> BackupSummary:
    """Write an encrypted backup of the database and the secrets to `out` (mode 0600)."""
    url = settings.url
    kind = db_backup.dialect(url)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="suanli-backup-") as work:
        dump_path = Path(work) / ("database.sqlite" if kind == "sqlite" else "database.pgdump")
        db_backup.dump(url, dump_path)
        found = _secrets_in_use(settings)
        documents = BlobStore(settings.data_dir).root
        files = sorted(p for p in documents.glob("*/*") if p.is_file() and not p.name.startswith(".")) \
            if documents.is_dir() else []
        manifest = {"format": 1, "created_at": created_at, "dialect": kind, "revision": _current_revision(url),
                    "database": dump_path.name, "secrets": sorted(found), "documents": len(files)}
        plain = Path(work) / "backup.tar"
        with tarfile.open(plain, "w") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
            tar.add(dump_path, arcname=dump_path.name)
            for name, value in found.items():
                _add_bytes(tar, f"secrets/{name}", value)
            for path in files:
                tar.add(path, arcname=f"documents/{path.parent.name}/{path.name}")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with plain.open("rb") as source, os.fdopen(fd, "wb") as target:
            encrypt_stream(source, target, passphrase)
        partial.replace(out)
    return BackupSummary(out, kind, manifest["revision"], tuple(sorted(found)), created_at, out.stat().st_size)


def _open_archive(path: Path, passphrase: str, work: Path) -> tuple[dict[str, Any], Path]:
    plain = work / "backup.tar"
    try:
        with path.open("rb") as source, plain.open("wb") as target:
            decrypt_stream(source, target, passphrase)
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err}") from None
    with tarfile.open(plain) as tar:
        tar.extractall(work / "x", filter="data")
    manifest = json.loads((work / "x" / "manifest.json").read_text())
    if manifest.get("format") != 1:
        raise InvalidInput(f"backup format {manifest.get('format')!r} is not supported by this version")
    return manifest, work / "x"


def inspect_backup(path: Path, passphrase: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="suanli-restore-") as work:
        manifest, _ = _open_archive(path, passphrase, Path(work))
    return manifest


def restore(settings: Settings, path: Path, passphrase: str, *, force: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Replace the database and the data directory's secrets by the backup's. Returns the manifest and
    warnings (e.g. a configured secret that differs from the backed-up one)."""
    url = settings.url
    if not force and not db_backup.is_empty(url):
        raise Conflict("the target database is not empty; stop the services and pass --force to replace it")
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="suanli-restore-") as work:
        manifest, root = _open_archive(path, passphrase, Path(work))
        db_backup.load(url, root / manifest["database"], dump_dialect=manifest["dialect"])
        for name in manifest["secrets"]:
            value = (root / "secrets" / name).read_bytes()
            configured = settings.secret(name)
            if configured is not None:
                if configured.strip() != value.strip():
                    warnings.append(f"{name}: the configured value differs from the backup's; the configured one "
                                    "stays in use (put the backup's value in place if it should be used)")
                continue
            target = settings.data_dir / SECRET_FILES[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(value)
        warnings += _restore_documents(settings, root / "documents")
    audit._signers.clear()  # a restored key replaces whatever this process had loaded
    return manifest, warnings


def _restore_documents(settings: Settings, folder: Path) -> list[str]:
    """Put the backed-up evidence files back in the store; each is checked against its SHA-256 name."""
    if not folder.is_dir():
        return []
    store, warnings = BlobStore(settings.data_dir), []
    for path in sorted(folder.glob("*/*")):
        data = path.read_bytes()
        if BlobStore.digest(data) != path.name:
            warnings.append(f"document {path.name}: the backed-up bytes do not match their SHA-256; not restored")
            continue
        store.put(data)
    return warnings
