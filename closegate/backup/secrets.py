"""Secret material in a backup (BitLocker recovery keys), encrypted to the operator's age recipient.

BitLocker recovery keys stored in Entra are lost with the tenant (graph-facts §12.7), so a backup may
keep them, but never in clear: the records are gzipped in memory and encrypted with age (pyrage, the
Rust `rage` implementation) to the X25519 recipient named in closegate.toml ([backup] recipient)
before anything is written. Only the ciphertext reaches the disk; the manifest records the recipient
and the ciphertext's SHA-256. Decrypt with the matching identity: `age -d -i identity.txt FILE | gunzip`.

Each key is read with its own GET and `$select=key`, which Microsoft audits ("Read BitLocker key",
category KeyManagement; learn: graph/api/bitlockerrecoverykey-get), so reading them is opt-in
(`closegate backup --include-bitlocker-keys`) and announced before the first read. This module is the
only importer of pyrage.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from closegate.backup.jsonl import iter_records
from closegate.backup.manifest import FileEntry
from closegate.backup.sources import Source, source_named
from closegate.errors import ConfigError, MalformedResponse, NotFound
from closegate.files import open_private
from closegate.graph import GraphClient

__all__ = ["RECIPIENT", "decrypt_records", "encrypt_records", "export_secret", "new_identity", "parse_recipient"]

# age's X25519 recipient: Bech32 with the "age" prefix (age-encryption.org/v1 spec), 62 characters.
RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")
_KEPT = ("id", "deviceId", "createdDateTime", "volumeType", "key")


def parse_recipient(text: str) -> x25519.Recipient:
    """The age recipient in `text`; ConfigError naming the setting when it is not one."""
    if not RECIPIENT.match(text.strip()):
        raise ConfigError("backup.recipient is not an age X25519 recipient (age1...)",
                          "generate an identity with `age-keygen -o identity.txt` and set [backup] recipient to "
                          "the public key it prints")
    try:
        return x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError as exc:
        raise ConfigError(f"backup.recipient cannot be used ({exc})", "copy the age1... key again") from exc


def new_identity() -> tuple[str, str]:
    """(identity, recipient): a fresh age X25519 key pair, as `age-keygen` makes one (demo and tests)."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def encrypt_records(records: Iterable[Mapping[str, Any]], recipient: str) -> tuple[bytes, int]:
    """(ciphertext, number of records): gzipped JSON Lines encrypted to `recipient`, built in memory only."""
    plain = io.BytesIO()
    count = 0
    with gzip.GzipFile(filename="", mode="wb", fileobj=plain, mtime=0) as zipped:
        for record in records:
            zipped.write((json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii"))
            count += 1
    ciphertext = pyrage.encrypt(plain.getvalue(), [parse_recipient(recipient)])
    return ciphertext, count


def decrypt_records(ciphertext: bytes, identity: str) -> list[dict[str, Any]]:
    """The records of an encrypted backup file, for the holder of the identity (AGE-SECRET-KEY-1...)."""
    plain = pyrage.decrypt(ciphertext, [x25519.Identity.from_str(identity.strip())])
    return [json.loads(line) for line in gzip.decompress(plain).decode("ascii").splitlines() if line]


def _keys(graph: GraphClient, directory: Path, source: Source) -> Iterator[dict[str, Any]]:
    for meta in iter_records(directory / source_named(source.parent).file):
        key_id = str(meta.get("id") or "")
        if not key_id:
            raise MalformedResponse("a BitLocker key in the backup's metadata has no id", "report this")
        try:
            # One GET per key, never $batch: each read is an audited access of one key.
            body = graph.get(f"/{source.api}{source.path.split('?', 1)[0].format(id=key_id)}",
                             params={"$select": "key"})
        except NotFound:
            continue  # removed since it was listed: there is nothing left to keep
        yield {name: body.get(name, meta.get(name)) for name in _KEPT}


def export_secret(graph: GraphClient, directory: Path, source: Source, recipient: str) -> FileEntry:
    """Read every key the metadata file lists and write them, encrypted, as `source.file`."""
    ciphertext, count = encrypt_records(_keys(graph, directory, source), recipient)
    path = directory / source.file
    part = path.with_name(path.name + ".part")
    with open_private(part, "wb") as handle:
        handle.write(ciphertext)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, path)
    return FileEntry(source.name, source.file, sha256=hashlib.sha256(ciphertext).hexdigest(), objects=count,
                     bytes=len(ciphertext), complete=True, recipient=recipient.strip())
