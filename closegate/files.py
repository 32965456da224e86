"""Writing closegate's files: atomically, durably, and readable by their owner only.

Run records, plans, journals, sign-offs, certificates, backups and reports describe a tenant and its
closure; some of them are signed. A reader (an approver, a resumed run, `verify`) must never see half
a file, and a crash right after a write must not lose it, so every whole-file write goes through
`write_atomic` (a private temporary file beside the target, fsynced, renamed over it, then the folder
fsynced) and every appended file is opened with `open_private`. One mode for all: 0600.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["FILE_MODE", "atomic_writer", "fsync_directory", "open_private", "write_atomic"]

FILE_MODE = 0o600


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable (POSIX: the entry lives in the folder)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: str | bytes, *, mode: int = FILE_MODE) -> Path:
    """Replace `path` with `data` (text is UTF-8) so that readers see the old file or the new, never a mix."""
    path = Path(path)
    # Encoded before the temporary file exists: text that cannot be UTF-8 (a lone surrogate) fails
    # without leaving anything behind.
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    return path


@contextmanager
def atomic_writer(path: Path, *, mode: int = FILE_MODE) -> Iterator[IO[bytes]]:
    """`write_atomic` for a file written in a stream (too large to hold): the handle writes a private
    temporary file, which replaces `path` only when the block ends without an exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def open_private(path: Path, mode: str = "ab") -> IO[bytes]:
    """Open `path` for appending or writing in binary, creating it 0600 (an existing file is made 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode)
