"""Where a line of a report may break: between words, and inside a long unbroken token only when it overflows.

Words are never split: the page breaks lines at spaces (CSS `overflow-wrap: break-word` keeps a word
whole unless it alone is wider than its column). Identifiers, hashes, addresses and URLs have no
spaces and may be wider than a table column, so each run of TOKEN_CHARS or more characters without a
space is marked `<span class="token">`, whose `overflow-wrap: anywhere` lets it break where it would
overflow, and only there. The browser and WeasyPrint do the breaking; this module only marks the runs.

The mark is applied in the templates (`{{ value|breakable }}`) to text, never to attribute values,
and escapes the text itself, so a tenant string still cannot become markup.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

__all__ = ["TOKEN_CHARS", "breakable"]

# Long enough that no English word of the report is a token ("synchronization" has 15 letters), short
# enough that a column of six in a table can hold one unbroken token: a user principal name such as
# "user000001@contoso.onmicrosoft.com" (34), a GUID (36), a run hash (64).
TOKEN_CHARS = 18
_TOKEN = re.compile(rf"\S{{{TOKEN_CHARS},}}")


def breakable(text: object) -> Markup:
    """The escaped text, each long unbroken run in a `token` span (already-safe Markup is kept as is)."""
    if isinstance(text, Markup):
        return text
    value = str(text)
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(value):
        parts.append(escape(value[last:match.start()]))
        parts.append(Markup('<span class="token">%s</span>') % match.group(0))
        last = match.end()
    parts.append(escape(value[last:]))
    return Markup("").join(parts)
