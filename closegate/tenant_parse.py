"""Reading Graph payloads into typed values, where a wrong shape becomes MalformedResponse.

Kept apart from tenant.py: this is the part that changes when Graph's payloads do (CSV columns,
OData types, date formats), not when the set of facts does.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

from closegate import facts as f
from closegate.errors import MalformedResponse

__all__ = ["as_bool", "as_datetime", "as_int", "as_list", "as_str", "parse_conditional_access", "parse_usage_csv",
           "principal_kind"]

_MISSING = object()


def _bad(what: str, key: str, problem: str) -> MalformedResponse:
    return MalformedResponse(f"a {what} from Graph has {problem} '{key}'",
                             "report this response; closegate cannot decide without it")


def as_str(obj: Any, key: str, what: str, default: Any = _MISSING) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if default is _MISSING:
            raise _bad(what, key, "no")
        return str(default)
    if not isinstance(value, str):
        raise _bad(what, key, "a non-text")
    return value


def as_bool(obj: Any, key: str, what: str, default: Any = _MISSING) -> Any:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if default is _MISSING:
            raise _bad(what, key, "no")
        return default
    if not isinstance(value, bool):
        raise _bad(what, key, "a non-boolean")
    return value


def as_int(obj: Any, key: str) -> int:
    value = obj.get(key, 0) if isinstance(obj, dict) else 0
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("record", key, "a non-integer")
    return value


def as_list(obj: Any, key: str, what: str) -> list[Any]:
    """A collection property; absent or null reads as empty (Graph's value for no items)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(what, key, "a non-list")
    return value


def as_datetime(obj: Any, key: str, what: str) -> datetime | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(what, key, "a non-text")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(what, key, "an unreadable timestamp in") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def principal_kind(obj: dict[str, Any]) -> str:
    """"user" | "group" | "servicePrincipal" from a directoryObject's @odata.type."""
    odata = str(obj.get("@odata.type") or "")
    kind = odata.rsplit(".", 1)[-1]
    if kind not in {"user", "group", "servicePrincipal", "device", "orgContact"}:
        raise MalformedResponse(f"a directory object has an unknown @odata.type {odata!r}", "report this response")
    return kind


def parse_conditional_access(p: dict[str, Any]) -> f.ConditionalAccessPolicy:
    grant = p.get("grantControls") or {}
    if not isinstance(grant, dict):
        raise _bad("conditional access policy", "grantControls", "a malformed")
    strength = grant.get("authenticationStrength")
    # An MFA demand can come from an authentication strength as well as from "mfa" (graph-facts §5.3).
    label = None
    if isinstance(strength, dict):
        label = str(strength.get("displayName") or strength.get("id") or "authentication strength")
    return f.ConditionalAccessPolicy(
        id=as_str(p, "id", "conditional access policy"),
        display_name=as_str(p, "displayName", "conditional access policy", ""),
        state=as_str(p, "state", "conditional access policy"),
        requires_mfa="mfa" in (grant.get("builtInControls") or ()),
        authentication_strength=label,
    )


# report -> (principal name, display name, site URL or None, item count) columns (graph-facts §1.1).
_COLUMNS = {
    "mailbox": ("User Principal Name", "Display Name", None, "Item Count"),
    "onedrive": ("Owner Principal Name", "Owner Display Name", "Site URL", "File Count"),
    "sharepoint": ("Owner Principal Name", "Owner Display Name", "Site URL", "File Count"),
}


def parse_usage_csv(report: str, body: bytes) -> tuple[f.UsageRow, ...]:
    """Rows of a usage-report CSV, read by header name: Microsoft's samples disagree on column order."""
    owner, display, site, count = _COLUMNS[report]
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig", errors="replace")))
    needed = [c for c in (owner, display, site, count, "Storage Used (Byte)", "Is Deleted") if c]
    missing = [c for c in needed if c not in (reader.fieldnames or ())]
    if missing:
        raise MalformedResponse(f"the {report} usage report lacks the column(s) {', '.join(missing)}",
                                "report this; the CSV format may have changed")
    rows = []
    for line in reader:
        rows.append(f.UsageRow(
            report=report, owner_principal_name=line[owner] or "", owner_display_name=line[display] or "",
            site_url=(line[site] or None) if site else None, storage_bytes=_number(line["Storage Used (Byte)"]),
            item_count=_number(line[count]), is_deleted=(line["Is Deleted"] or "").strip().lower() == "true",
            last_activity=line.get("Last Activity Date") or None))
    return tuple(rows)


def _number(text: str | None) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    try:
        return int(float(text))
    except ValueError as exc:
        raise MalformedResponse(f"a usage report holds the non-number {text[:20]!r}", "report this") from exc
