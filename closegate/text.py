"""Tenant strings made harmless to show, on a terminal and in a report alike: one rule for both.

A tenant's names are written by whoever administers it (or by anyone who can create a guest or an app),
so closegate shows them as data, never as instructions to the device that displays them. A display
name holding ESC or OSC sequences would otherwise retitle the terminal window, clear the screen or
print a fake "All checks PASS"; a NUL or a lone surrogate breaks XML; directional overrides reorder a
sentence ("Trojan Source") so a signed report reads differently from what it says. `visible` spells
every such character out as `[U+XXXX]`, whether the output is a terminal, a pipe, a file or a report,
and with or without NO_COLOR: what a character does depends on the reader, not on closegate's output.
Markup is a separate concern: reports escape it by template autoescaping, the terminal by never
letting rich interpret a tenant string (closegate.commands._common.shown).
"""

from __future__ import annotations

import re

__all__ = ["visible"]

# C0 controls (NUL, BEL, BS, ESC, newline and tab included: a newline in a name forges an output line),
# DEL and the C1 controls (U+009B is CSI on terminals that honour 8-bit controls); the directional
# formatting characters; the line and paragraph separators (line breaks to some renderers); lone
# surrogates (json.loads makes them from "\ud800" escapes, Python's argv from undecodable bytes) and
# the noncharacters U+FFFE/U+FFFF, which XML forbids. The zero-width joiner is left alone: emoji need it.
_NEUTRALISED = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def visible(text: str) -> str:
    """`text` with every control, bidi, separator and surrogate character spelled out as [U+XXXX]."""
    return _NEUTRALISED.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)

