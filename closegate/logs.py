"""Structured JSON-lines logs for `--log-file`, scrubbed of every secret and token before they are written.

A log file outlives the run: it is attached to tickets, mailed to vendors and kept with the closure
evidence. So redaction happens in a filter on the handler, after every formatter-independent field
is known, and it fails closed: values under a secret-looking key, anything shaped like a JWT, a
bearer token, a PEM private key, a secret in a query string or form body, and every secret value
closegate itself loaded (`remember_secret`) are replaced with "[REDACTED]". Nothing is logged to a
file unless the operator asks for one; the console output is unaffected.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from closegate.errors import ConfigError

__all__ = [
    "DOCUMENT_LIBRARIES",
    "REDACTED",
    "JsonLinesFormatter",
    "RedactingFilter",
    "configure",
    "get_logger",
    "redact",
    "remember_secret",
]

REDACTED = "[REDACTED]"
LOGGER = "closegate"
# Loggers whose records are worth keeping: closegate's own, urllib3's request lines (method, URL,
# status; never headers) and msal's sign-in narrative at INFO.
# The PDF and font libraries log each oddity of a damaged file as a WARNING, and with no handler Python's
# last resort prints every one on stderr: a page of "Ignoring wrong pointing object" for one corrupt PDF.
# closegate states the outcome in one line itself ("the PDF cannot be read"), so their records go only
# to --log-file, where they are kept.
DOCUMENT_LIBRARIES = ("pypdf", "pyhanko", "pyhanko_certvalidator", "fontTools", "weasyprint")
_SOURCES: Mapping[str, int] = {LOGGER: logging.DEBUG, "urllib3": logging.DEBUG, "msal": logging.INFO,
                               **dict.fromkeys(DOCUMENT_LIBRARIES, logging.WARNING)}

# Keys whose values are secret whatever they look like (matched case-insensitively, as substrings).
_SECRET_KEYS = re.compile(
    r"secret|password|passphrase|passwd|token|authorization|assertion|private_key|privatekey|api_key|"
    r"apikey|cookie|credential|user_code|device_code|^code$",
    re.IGNORECASE,
)
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # A JWT (access, id or assertion token): three base64url segments, the first two JSON objects.
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    # A BitLocker recovery password: 48 digits in eight groups of six (a backup with
    # --include-bitlocker-keys reads them; none is ever logged, and this keeps it so).
    re.compile(r"\b\d{6}(?:-\d{6}){7}\b"),
    # An age identity (AGE-SECRET-KEY-1...): it decrypts the backup's secret material.
    re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
)
# key=value pairs in query strings, form bodies and "key: value" text. tempauth/sig/signature cover the
# pre-authenticated download URLs Graph's usage reports redirect to (they need no Authorization header).
_PAIRS = re.compile(
    r"(?i)\b((?:client_secret|client_assertion|refresh_token|access_token|id_token|password|passphrase|"
    r"device_code|code|tempauth|sig|signature|secret|token)\s*[=:]\s*)([^&\s\"',;]+)"
)
_MIN_SECRET = 6  # shorter "secrets" would redact ordinary words; config refuses none this short anyway

# Library practice: without a configured file, closegate's records go nowhere (not to stderr); nor do
# the document libraries' (a NullHandler keeps Python's last-resort stderr handler away from them).
for _name in (LOGGER, *DOCUMENT_LIBRARIES):
    logging.getLogger(_name).addHandler(logging.NullHandler())

_known: set[str] = set()
_known_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Redact this exact value wherever it appears from now on (a client secret, a PFX password...)."""
    if value and len(value) >= _MIN_SECRET:
        with _known_lock:
            _known.add(value)


def _scrub_text(text: str) -> str:
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _PAIRS.sub(lambda m: m.group(1) + REDACTED, text)


def redact(value: Any, key: str = "") -> Any:
    """A copy of `value` safe to write: secret keys blanked, secret-shaped strings replaced, recursively."""
    if key and _SECRET_KEYS.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, Path):
        return _scrub_text(str(value))
    if hasattr(value, "__dataclass_fields__"):
        return {name: redact(getattr(value, name), name) for name in value.__dataclass_fields__}
    # Anything else is logged by its repr, scrubbed: closegate.config.Secret masks itself there.
    return _scrub_text(repr(value))


# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class RedactingFilter(logging.Filter):
    """Rewrites the record in place so that no handler after it can see a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = _scrub_text(message), None
        for name in [n for n in vars(record) if n not in _STANDARD]:
            setattr(record, name, redact(getattr(record, name), name))
        if record.exc_info:
            record.exc_text = _scrub_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str, sort_keys=False)


_handler: logging.Handler | None = None
_attached: list[str] = []


def configure(path: Path | None, *, sources: Iterable[str] | None = None) -> logging.Handler | None:
    """Send closegate's (and its HTTP stack's) records to PATH as JSON lines; None turns file logging off.

    The file is opened for appending and created 0600: it names the tenant, its users and its apps.
    Calling it again replaces the previous handler, so tests and the demo can reconfigure freely.
    """
    global _handler
    names = list(_SOURCES) if sources is None else list(sources)
    if _handler is not None:
        for name in _attached:
            logging.getLogger(name).removeHandler(_handler)
        _handler.close()
        _handler = None
        _attached.clear()
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, mode="a", encoding="utf-8", delay=False)
    except OSError as exc:
        raise ConfigError(f"cannot open the log file {path} ({exc.strerror})",
                          "pass a writable path to --log-file") from exc
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonLinesFormatter())
    handler.setLevel(logging.DEBUG)
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(min(logger.level or logging.WARNING, _SOURCES.get(name, logging.INFO)))
        logger.addHandler(handler)
        _attached.append(name)
    _handler = handler
    return handler


def get_logger(name: str = "") -> logging.Logger:
    """closegate's logger (or a child of it): silent unless `configure` attached a file."""
    return logging.getLogger(f"{LOGGER}.{name}" if name else LOGGER)

