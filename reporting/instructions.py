"""What a person must do, shown whole: fixes, "Where to look", the steps that resolve an error.

Evidence is bounded in a report (the JSON keeps it all), but an instruction cut off in the middle of a
portal path or a PowerShell command is worse than none, so instructions are never cut at a word. The
only bound left is on what no instruction contains: an unbroken run of RUN_CHARS characters (the
longest URL or command token a check writes is under 150), which is what a hostile string looks
like, and a total of INSTRUCTION_CHARS, twenty times the longest instruction any check writes.
Evidence keys in INSTRUCTION_KEYS are instructions too and leave the bounded evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from closegate.reporting.text import MISSING, visible

__all__ = ["INSTRUCTION_CHARS", "INSTRUCTION_KEYS", "RUN_CHARS", "WhereToLook", "where_to_look", "whole"]

RUN_CHARS = 400
INSTRUCTION_CHARS = 20_000
INSTRUCTION_KEYS = frozenset({"where_to_look"})
_RUN = re.compile(rf"\S{{{RUN_CHARS + 1},}}")


@dataclass(frozen=True)
class WhereToLook:
    """A check's "Where to look": one sentence, or rows of what, where and why (CG-020's places)."""

    text: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def _cut_run(match: re.Match[str]) -> str:
    run = match.group(0)
    return f"{run[:RUN_CHARS]}\u2026 ({len(run) - RUN_CHARS:,} more characters)"


def whole(value: object) -> str:
    """An instruction as report text: every word kept; only a run no instruction has is cut, with a count."""
    if value is None or value == "":
        return ""
    text = _RUN.sub(_cut_run, str(value))
    if len(text) > INSTRUCTION_CHARS:
        text = f"{text[:INSTRUCTION_CHARS]}\u2026 ({len(text) - INSTRUCTION_CHARS:,} more characters)"
    return visible(text)


def _label(key: str) -> str:
    return visible(key.replace("_", " ").strip().capitalize()[:80] or key[:80])


def where_to_look(evidence: Mapping[str, Any]) -> WhereToLook | None:
    """The check's "Where to look", whole, or None when it has none."""
    value = evidence.get("where_to_look")
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, str):
        rows = [row for row in value if isinstance(row, Mapping)]
        if rows and len(rows) == len(value):
            # Sorted, as in the run record's canonical JSON, so a report rendered from run.json is the same.
            columns = sorted({str(k) for row in rows for k in row})
            cells = tuple(tuple(whole(row.get(c)) or MISSING for c in columns) for row in rows)
            return WhereToLook("", tuple(_label(c) for c in columns), cells)
        return WhereToLook(whole("; ".join(str(v) for v in value)))
    return WhereToLook(whole(value))
