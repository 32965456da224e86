"""Tenant strings made safe to show: bounded, XML-valid, and with hidden bidi controls made visible.

Every string a tenant controls (names, UPNs, messages quoting them) passes through here before a
template or the JUnit writer sees it. Escaping of markup is the template engine's job (autoescape);
this module handles what escaping cannot: characters XML forbids outright, right-to-left overrides
that would make a report read differently from what it says, and strings long enough to break a page.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MISSING", "clip", "display", "visible", "xml_safe"]

MISSING = "\u2014"  # an em dash: "no value", distinct from an empty string that was recorded

# XML 1.0 Char excludes C0 controls other than tab/newline/return, lone surrogates (json.loads can
# produce them from "\ud800" escapes) and U+FFFE/U+FFFF. C1 controls are legal but render as nothing.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Directional formatting characters reorder the text around them when displayed ("Trojan Source"),
# so a name could make a sentence in a signed report read as something else. Shown as code points.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def xml_safe(text: str) -> str:
    """The text with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _XML_INVALID.sub("\ufffd", text)


def visible(text: str) -> str:
    """XML-safe text whose bidi controls are spelled out as [U+XXXX] instead of acting on the layout."""
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", xml_safe(text))


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
