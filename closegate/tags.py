"""Keyed integrity tags: which run records, plans, journals and sign-offs this installation wrote.

`run_id` and `plan_hash` are plain SHA-256 of canonical JSON: they catch accidents, not intent, since
whoever can edit a file can recompute them. A tag is an HMAC-SHA256 (Python's `hmac`) under a 32-byte
key from `secrets` that closegate keeps outside every output folder (closegate.config: by default
$XDG_STATE_HOME/closegate/record.key, mode 0600, created on first use), so an edited and re-hashed
file no longer verifies. Tags add to the live re-checks and never replace them: `close` audits the
tenant again and the executor re-derives whom it must never touch, whatever any file says.

Reading a tagged document has three answers. Written here: the tag verifies with this key. Edited:
the tag names this key and does not verify; that raises IntegrityError, always. Not written here: no
tag (an older closegate, or no key was available when it was written) or another installation's key;
each reader decides (`Provenance.require`): the gate and the executor refuse, a command that only
shows a file warns. The tag covers the document's canonical JSON without its own `integrity` member,
prefixed with the kind of document, so a tag can never be moved from one kind of file to another.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from closegate.errors import ConfigError, IntegrityError

__all__ = ["DEFAULT_CONFIG", "FIELD", "RECORD_KEY_ENV", "Provenance", "RecordKey", "installation_key", "key_file",
           "load_key", "read_toml"]

FIELD = "integrity"  # the member of a tagged JSON object that holds its tag
_SCHEME = "hmac-sha256"
_FORMAT = "closegate-record-key/1"
_KEY_BYTES = 32
_KIND_IDS = b"closegate record key id"


def _canonical(kind: str, document: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k != FIELD}
    return kind.encode("ascii") + b"\n" + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                                     ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Provenance:
    """Whether this installation wrote a document, and if not, why it cannot say so."""

    here: bool
    why: str = ""  # one clause when not here: "it carries no integrity tag (...)"

    def require(self, path: Path | str, fix: str) -> None:
        """Refuse a document this installation did not write (the gate's and the executor's rule)."""
        if not self.here:
            raise IntegrityError(f"{path} was not written here: {self.why}", fix)

    def warning(self, path: Path | str) -> str:
        return f"{path} was not written here: {self.why}" if not self.here else ""


@dataclass(frozen=True)
class RecordKey:
    """This installation's record key, or the reason there is none (`secret` None, `problem` set)."""

    path: Path
    secret: bytes | None = field(default=None, repr=False)
    problem: str = ""

    @property
    def key_id(self) -> str:
        """Names the key in a tag without revealing it (an HMAC of a fixed text under the key)."""
        if self.secret is None:
            return ""
        return hmac.new(self.secret, _KIND_IDS, hashlib.sha256).hexdigest()[:16]

    def seal(self, kind: str, document: Mapping[str, Any]) -> str | None:
        """The tag of `document` (its `integrity` member excluded); None when no key is available."""
        if self.secret is None:
            return None
        digest = hmac.new(self.secret, _canonical(kind, document), hashlib.sha256).hexdigest()
        return f"{_SCHEME}:{self.key_id}:{digest}"

    def sealed(self, kind: str, document: Mapping[str, Any]) -> dict[str, Any]:
        """`document` with its tag added (unchanged when no key is available)."""
        tag = self.seal(kind, document)
        return {**document, FIELD: tag} if tag is not None else dict(document)

    def provenance(self, kind: str, document: Mapping[str, Any], path: Path | str) -> Provenance:
        """Who wrote `document`; raises IntegrityError when it was edited after this key tagged it."""
        tag = document.get(FIELD)
        if tag is None:
            return Provenance(False, "it carries no integrity tag (written by an older closegate, or when "
                                     "closegate's record key was unavailable)")
        scheme, _, rest = str(tag).partition(":")
        key_id, _, _digest = rest.partition(":")
        if self.secret is None:
            return Provenance(False, f"this installation's record key is unavailable ({self.problem})")
        if scheme != _SCHEME or not hmac.compare_digest(key_id, self.key_id):
            return Provenance(False, "its integrity tag is another installation's (another record key)")
        expected = self.seal(kind, document)
        assert expected is not None
        if not hmac.compare_digest(str(tag), expected):
            raise IntegrityError(f"{path} was edited after closegate wrote it: its integrity tag does not verify",
                                 "keep it as evidence and use the file closegate wrote, or write it again "
                                 "(`closegate audit`, `closegate plan`)")
        return Provenance(True)


RECORD_KEY_ENV = "CLOSEGATE_RECORD_KEY"
DEFAULT_CONFIG = Path("closegate.toml")


def installation_key(config: Path | None = None) -> RecordKey:
    """The key of the configuration a command uses (`config`, else ./closegate.toml if present, as every command).

    Only the configuration's [records] table is read here: the records (run, plan, journal, sign-off)
    are read by reporting and the engine too, which must not depend on closegate.config or a session.
    """
    path = config if config is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    table: Mapping[str, Any] = {}
    if path is not None:
        records = read_toml(path).get("records", {})
        if not isinstance(records, dict):
            raise ConfigError(f"{path}: records must be a table", "write it as [records]")
        table = records
    return load_key(key_file(table, path.parent if path is not None else Path.cwd(), os.environ))


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at `path`; every failure a ConfigError naming the file (closegate.config uses it too)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist",
                          "pass the path of a closegate.toml (closegate init writes one)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})", "fix the syntax at that line") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path} ({exc.strerror})", "check the path and its permissions") from exc


def key_file(records: Mapping[str, Any], base: Path, env: Mapping[str, str]) -> Path:
    """Where the record key lives: $CLOSEGATE_RECORD_KEY, else [records] key_file (relative to the
    configuration's folder), else $XDG_STATE_HOME/closegate/record.key."""
    # The environment wins over the file so that a test can never reach a key a configuration names.
    if env.get(RECORD_KEY_ENV):
        return Path(env[RECORD_KEY_ENV]).expanduser()
    value = records.get("key_file")
    if value is not None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("records.key_file must be a path", 'write key_file = "/secure/closegate/record.key"')
        return (base / value.strip()).expanduser().absolute()
    # XDG Base Directory Specification: state that persists between runs lives in $XDG_STATE_HOME, by
    # default $HOME/.local/state (https://specifications.freedesktop.org/basedir-spec/latest/).
    root = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(root) / "closegate" / "record.key"


def load_key(path: Path) -> RecordKey:
    """The key at `path`, created (0600, in a 0700 folder) on first use.

    A key that cannot be created (a read-only home, a folder of someone else) is returned without a
    secret and the reason: records are then written untagged, and the gate and the executor refuse
    them. A key other users could read is a ConfigError: anyone who can read it can forge a tag.
    """
    path = Path(path)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except (PermissionError, NotADirectoryError, IsADirectoryError) as exc:
        return RecordKey(path, None, f"cannot read {path}: {exc.strerror}")
    try:
        return _create(path)
    except OSError as exc:
        return RecordKey(path, None, f"cannot create {path}: {exc.strerror}")


def _read(path: Path) -> RecordKey:
    with path.open("rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        data = handle.read(4096)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"closegate's record key {path} can be read by other users (mode {stat.S_IMODE(mode):o})",
                          f"make it private: chmod 600 {path}")
    try:
        label, encoded = data.decode("ascii").split()
        secret = base64.b64decode(encoded, validate=True)
    except (UnicodeDecodeError, ValueError, binascii.Error) as exc:
        raise ConfigError(f"{path} is not a closegate record key", "move it away; closegate creates a new one "
                          "(records it tagged then read as not written here)") from exc
    if label != _FORMAT or len(secret) != _KEY_BYTES:
        raise ConfigError(f"{path} is not a closegate record key", "move it away; closegate creates a new one")
    return RecordKey(path, secret)


def _create(path: Path) -> RecordKey:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_bytes(_KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        _write_key(tmp, secret)
        try:
            os.link(tmp, path)  # fails if a concurrent closegate won the race: never two keys
        except FileExistsError:
            return _read(path)  # that closegate's key is the key
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            _write_key(path, secret)  # a file system without hard links: exclusive create instead
    finally:
        tmp.unlink(missing_ok=True)
    return RecordKey(path, secret)


def _write_key(path: Path, secret: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(f"{_FORMAT} {base64.b64encode(secret).decode('ascii')}\n".encode("ascii"))
        handle.flush()
        os.fsync(handle.fileno())
