"""What each fact looked like when the checks read it, so two runs can say whether the tenant changed.

`close` opens only if a fresh audit matches the run its sign-offs are bound to, and "matches" must
mean more than "the same verdict": a user added and another removed leaves CG-004 failing with the
same count. So the runner reads the facts through `RecordingReader`, which keeps the value of every
fact a check (or the runner itself) read, and the run record stores one digest per fact: the SHA-256
of its canonical JSON, order-independent (Graph does not promise an order), and for a collection the
number of objects, which is what lets the gate say "users changed: 12 then, 14 now". Ids of every
object would let it say which were added and removed, at the cost of a run record as large as the
directory; counts are the cheap part of that.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from closegate.facts import Fact, TenantReader
from closegate.models import jsonable

__all__ = ["RecordingReader", "changed_facts", "digest"]

T = TypeVar("T")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(value: Any) -> dict[str, Any]:
    """{"sha256", "count"} of a fact's value; {"error"} when it is not plain data (it cannot be compared)."""
    try:
        data = jsonable(value)
    except TypeError as exc:
        return {"error": f"not comparable ({exc})"}
    if isinstance(data, list):
        items = sorted(_canonical(item) for item in data)
        return {"sha256": hashlib.sha256(b"[" + b",".join(items) + b"]").hexdigest(), "count": len(items)}
    return {"sha256": hashlib.sha256(_canonical(data)).hexdigest()}


class RecordingReader:
    """A TenantReader that keeps what every fact read through it was (its first answer, or its error)."""

    def __init__(self, inner: TenantReader) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._seen: dict[str, dict[str, Any]] = {}

    def now(self) -> datetime:
        return self._inner.now()

    def closing_admin_upn(self) -> str | None:
        return self._inner.closing_admin_upn()

    def read(self, fact: Fact[T]) -> T:
        try:
            value = self._inner.read(fact)
        except Exception as exc:
            self._keep(fact, {"error": type(exc).__name__})
            raise
        self._keep(fact, None, value)
        return value

    def _keep(self, fact: Fact[Any], entry: dict[str, Any] | None, value: Any = None) -> None:
        with self._lock:
            if fact.name in self._seen:
                return
        made = entry if entry is not None else digest(value)
        with self._lock:
            self._seen.setdefault(fact.name, made)

    def digests(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: dict(entry) for name, entry in sorted(self._seen.items())}


def changed_facts(signed: Mapping[str, Mapping[str, Any]], fresh: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One sentence per fact that differs between the signed run and the fresh one (empty: none did).

    A fact that either run could not read cannot be compared, so it counts as changed: the gate must
    never open on a comparison it could not make.
    """
    reasons: list[str] = []
    for name in sorted(set(signed) | set(fresh)):
        then, now = signed.get(name), fresh.get(name)
        label = name.replace("_", " ")
        if then is None or now is None:
            which = "the signed run" if then is None else "the audit just run"
            reasons.append(f"{label} changed since the signed run: {which} did not read it (the checks took "
                           "another path)")
        elif "error" in then or "error" in now:
            cause = now.get("error") or then.get("error")
            reasons.append(f"{label} cannot be compared with the signed run: it could not be read ({cause})")
        elif then.get("sha256") != now.get("sha256"):
            counts = ""
            if isinstance(then.get("count"), int) and isinstance(now.get("count"), int):
                counts = f": {then['count']} then, {now['count']} now"
            reasons.append(f"{label} changed since the signed run{counts}")
    return reasons
