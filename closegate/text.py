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

Length is the terminal's other concern: a 10,000-character display name would fill the screen and push
the verdict out of sight. `cut` shortens a name closegate shows by itself ("Alice …(+37 chars)"),
`cut_tokens` every unbroken run inside a sentence that quotes names (a check's message), and `listed`
a list of names ("a, b, c and 12 more"); each says how much was left out, and each neutralises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["NAME_LIMIT", "TOKEN_LIMIT", "cut", "cut_tokens", "listed", "visible"]

NAME_LIMIT = 100  # characters of a name shown on its own (an Entra display name may hold 256)
# Characters of an unbroken run inside a sentence: above any id, hash, URL or path closegate writes
# into its own messages (a run id is 64), so only names that no one could read whole are cut.
TOKEN_LIMIT = 200

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



def cut(text: str, limit: int = NAME_LIMIT) -> str:
    """`text` neutralised and, past `limit` characters, cut with the count of those left out."""
    if len(text) <= limit:
        return visible(text)
    return f"{visible(text[:limit])}…(+{len(text) - limit} chars)"


def cut_tokens(text: str, limit: int = TOKEN_LIMIT) -> str:
    """`text` neutralised, each run of more than `limit` characters without a space cut with a count."""
    def shorten(match: re.Match[str]) -> str:
        run = match.group(0)
        return f"{run[:limit]}…(+{len(run) - limit} chars)"

    return visible(re.sub(rf"\S{{{limit + 1},}}", shorten, text))


def listed(names: Sequence[str], limit: int = 3) -> str:
    """The first `limit` names, each cut, and how many more there are ("a, b, c and 12 more")."""
    shown = ", ".join(cut(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
