"""manifest.json: what a backup holds (per file SHA-256, object count, completion), and its signature.

The manifest is the one record of a backup: `verify` trusts nothing else. It is written last, after
every file is complete, so a directory with a manifest holds a finished backup. It can be signed with
Ed25519; the detached signature (`manifest.json.sig`, base64) covers the manifest's exact bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from closegate.errors import IntegrityError
from closegate.files import write_atomic
from closegate.models import iso, parse_time

__all__ = [
    "FORMAT",
    "MANIFEST",
    "SIGNATURE",
    "FileEntry",
    "Manifest",
    "check_signature",
    "read_manifest",
    "sign_manifest",
]

FORMAT = "closegate-backup"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"


@dataclass(frozen=True)
class FileEntry:
    """One object type. Either complete (file, sha256, objects) or unavailable (the tenant refused)."""

    name: str
    file: str | None
    sha256: str = ""
    objects: int = 0
    bytes: int = 0
    complete: bool = False
    unavailable: str = ""  # why the tenant would not give it (permission, endpoint missing)
    properties: tuple[str, ...] = ()  # the $select that was used, when one was
    recipient: str = ""  # secret material: the age recipient the file is encrypted to (sha256 is the ciphertext's)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "file": self.file, "complete": self.complete}
        if self.unavailable:
            body["unavailable"] = self.unavailable
        else:
            body.update(sha256=self.sha256, objects=self.objects, bytes=self.bytes)
        if self.properties:
            body["properties"] = list(self.properties)
        if self.recipient:
            body["encrypted_to"] = self.recipient
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileEntry:
        return cls(name=str(data["name"]), file=data.get("file"), sha256=str(data.get("sha256", "")),
                   objects=int(data.get("objects", 0)), bytes=int(data.get("bytes", 0)),
                   complete=bool(data["complete"]), unavailable=str(data.get("unavailable", "")),
                   properties=tuple(str(p) for p in data.get("properties", ())),
                   recipient=str(data.get("encrypted_to", "")))


@dataclass(frozen=True)
class Manifest:
    tenant_id: str
    tool_version: str
    started_tenant: datetime  # the tenant's clock (Graph's Date header) when the backup started
    started_local: datetime
    completed_tenant: datetime
    completed_local: datetime
    content_note: str
    files: tuple[FileEntry, ...] = field(default_factory=tuple)

    @property
    def taken(self) -> datetime:
        """The backup's age counts from its start: the oldest data in it is that old."""
        return self.started_tenant

    def entry(self, name: str) -> FileEntry | None:
        return next((e for e in self.files if e.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "tenant_id": self.tenant_id,
            "tool": {"name": "closegate", "version": self.tool_version},
            "started": {"tenant_clock": iso(self.started_tenant), "local": iso(self.started_local)},
            "completed": {"tenant_clock": iso(self.completed_tenant), "local": iso(self.completed_local)},
            "content": {"copied": False, "note": self.content_note},
            "files": [e.to_json() for e in self.files],
        }

    def dumps(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"format {data.get('format')!r} version {data.get('version')!r}")
        return cls(tenant_id=str(data["tenant_id"]), tool_version=str(data["tool"]["version"]),
                   started_tenant=parse_time(data["started"]["tenant_clock"]),
                   started_local=parse_time(data["started"]["local"]),
                   completed_tenant=parse_time(data["completed"]["tenant_clock"]),
                   completed_local=parse_time(data["completed"]["local"]),
                   content_note=str(data["content"]["note"]),
                   files=tuple(FileEntry.from_json(e) for e in data["files"]))


def read_manifest(directory: Path) -> Manifest:
    """The manifest of a backup directory; IntegrityError when it is missing or not a manifest."""
    path = directory / MANIFEST
    try:
        return Manifest.from_json(json.loads(path.read_bytes()))
    except FileNotFoundError as exc:
        raise IntegrityError(f"{path} is missing", "run `closegate backup` to take a backup there") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrityError(f"{path} is not a closegate backup manifest ({exc})",
                             "take a new backup; this one cannot be trusted") from exc


def sign_manifest(directory: Path, key: Ed25519PrivateKey) -> Path:
    signature = key.sign((directory / MANIFEST).read_bytes())
    path = directory / SIGNATURE
    write_atomic(path, base64.b64encode(signature) + b"\n")
    return path


def check_signature(directory: Path, key: Ed25519PublicKey) -> str | None:
    """None when the signature matches the manifest's bytes; otherwise what is wrong, in one line."""
    sig_path = directory / SIGNATURE
    if not sig_path.exists():
        return f"{SIGNATURE}: missing, but a public key was given"
    try:
        signature = base64.b64decode(sig_path.read_bytes().strip(), validate=True)
        key.verify(signature, (directory / MANIFEST).read_bytes())
    except (ValueError, InvalidSignature, OSError):
        return f"{SIGNATURE}: does not match {MANIFEST} and the public key (edited, or signed by another key)"
    return None
