"""Gzip-compressed JSON Lines, written as a stream and hashed as written, with secrets scrubbed.

Each record is one line of ASCII JSON (`ensure_ascii`): every string Graph returned, lone surrogates
and bidi controls included, reads back identical, and the bytes do not depend on the locale. The
gzip header carries no name and no time, so the same objects always give the same SHA-256.
A file is written as `NAME.part` and renamed only once complete: a name without `.part` is whole.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from closegate.files import open_private

__all__ = ["CREDENTIAL_LISTS", "JsonlWriter", "file_sha256", "iter_records", "scrub"]

# Credential metadata is kept (ids, dates, names, thumbprints, types); values never are.
CREDENTIAL_LISTS = frozenset({"keyCredentials", "passwordCredentials"})
_CREDENTIAL_VALUES = frozenset({"secretText", "key", "hint"})  # hint: the secret's first characters
_SECRET_FIELDS = frozenset({"secretText", "passwordProfile"})
_CHUNK = 1 << 20


def scrub(value: Any, *, in_credentials: bool = False) -> Any:
    """A copy of a Graph object without secret values, wherever in the object they appear."""
    if isinstance(value, Mapping):
        drop = _SECRET_FIELDS | (_CREDENTIAL_VALUES if in_credentials else frozenset())
        return {k: scrub(v, in_credentials=k in CREDENTIAL_LISTS) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [scrub(v, in_credentials=in_credentials) for v in value]
    return value


class _Hashing:
    """The file object gzip writes into: hashes and counts the compressed bytes on their way to disk."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class JsonlWriter:
    """`with JsonlWriter(path) as w: w.write(obj)`; on a clean exit the file is synced and renamed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.objects = 0
        self.sha256 = ""
        self.bytes = 0
        self._raw: BinaryIO | None = None
        self._hash: _Hashing | None = None
        self._gzip: gzip.GzipFile | None = None

    def __enter__(self) -> JsonlWriter:
        self._raw = open_private(self.part, "wb")  # closed in __exit__
        self._hash = _Hashing(self._raw)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._hash, mtime=0)  # type: ignore[arg-type]
        return self

    def write(self, record: Mapping[str, Any]) -> None:
        assert self._gzip is not None, "write() outside `with`"
        line = json.dumps(scrub(record), ensure_ascii=True, separators=(",", ":")) + "\n"
        self._gzip.write(line.encode("ascii"))
        self.objects += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._gzip is not None and self._raw is not None and self._hash is not None
        try:
            self._gzip.close()
            self._raw.flush()
            if exc_type is None:
                os.fsync(self._raw.fileno())
        finally:
            self._raw.close()
        if exc_type is not None:
            # A half file is worth nothing: the next run rewrites it from the start.
            self.part.unlink(missing_ok=True)
            return
        self.sha256 = self._hash.sha.hexdigest()
        self.bytes = self._hash.size
        os.replace(self.part, self.path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a backup file, one at a time (memory stays flat at any size)."""
    with gzip.open(path, "rt", encoding="ascii", newline="\n") as handle:
        for line in handle:
            yield json.loads(line)
