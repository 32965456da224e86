"""Tenant strings made safe to show in a report: bounded, and neutralised by the engine's one rule.

Every string a tenant controls (names, UPNs, messages quoting them) passes through here before a
template or the JUnit writer sees it. Escaping of markup is the template engine's job (autoescape);
what escaping cannot do (control characters XML forbids, right-to-left overrides that would make a
report read differently from what it says) is `closegate.text.visible`, the same function the terminal
uses, so a report and the command line can never show one name two ways. Strings long enough to
break a page are clipped here.
"""

from __future__ import annotations

from typing import Any

from closegate.text import visible

__all__ = ["MISSING", "clip", "display", "visible", "xml_safe"]

MISSING = "\u2014"  # an em dash: "no value", distinct from an empty string that was recorded


def xml_safe(text: str) -> str:
    """The text with every character XML 1.0 cannot carry (and every control) spelled out as [U+XXXX]."""
    return visible(text)


def clip(text: str, limit: int, *, count: bool = True) -> str:
    """At most `limit` characters of `text`, saying how many were left out (the JSON has them all);
    `count=False` ends with a bare ellipsis, for places with room for one line only."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\u2026" + (f" ({len(text) - limit:,} more characters)" if count else "")


def display(value: Any, limit: int = 200) -> str:
    """One evidence value as report text: bounded, visible, and never raising on odd data."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    if isinstance(value, str):
        return visible(clip(value, limit))
    if isinstance(value, list | tuple):
        shown = [display(v, limit) for v in value[:5]]
        more = f" and {len(value) - 5:,} more" if len(value) > 5 else ""
        return visible(clip(", ".join(shown), limit)) + more
    if isinstance(value, dict):
        pairs = [f"{k}: {display(v, limit)}" for k, v in list(value.items())[:8]]
        return visible(clip("; ".join(pairs), limit))
    return visible(clip(str(value), limit))
