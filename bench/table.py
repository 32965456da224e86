"""One row per figure: what was measured, its target, and whether the target was met.

Every benchmark returns its rows under "rows" (`rows_json`); `python -m bench` prints each benchmark's
rows as it finishes and all of them again at the end, so `make bench` ends with the whole table.
A row without a target is a figure reported beside the others (a baseline, a ratio), never a pass.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Row", "at_least", "at_most", "below", "format_table", "info", "rows_json"]

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, "==": operator.eq,
}


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    value: float | int | str
    unit: str = ""
    target: float | int | None = None
    compare: str = ""  # one of _COMPARE's keys; "" for a figure without a target
    note: str = ""

    @property
    def status(self) -> str:
        if self.target is None or not self.compare:
            return ""
        if not isinstance(self.value, (int, float)):
            return "missed"  # a figure that could not be measured never meets its target
        return "met" if _COMPARE[self.compare](float(self.value), float(self.target)) else "missed"

    def to_json(self) -> dict[str, Any]:
        return {"benchmark": self.benchmark, "figure": self.figure, "value": self.value, "unit": self.unit,
                "target": self.target, "compare": self.compare, "note": self.note, "status": self.status}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        return cls(str(data["benchmark"]), str(data["figure"]), data["value"], str(data.get("unit", "")),
                   data.get("target"), str(data.get("compare", "")), str(data.get("note", "")))


def at_most(benchmark: str, figure: str, value: float | int, target: float | int, unit: str = "",
            note: str = "") -> Row:
    return Row(benchmark, figure, value, unit, target, "<=", note)


def below(benchmark: str, figure: str, value: float | int, target: float | int, unit: str = "",
          note: str = "") -> Row:
    return Row(benchmark, figure, value, unit, target, "<", note)


def at_least(benchmark: str, figure: str, value: float | int, target: float | int, unit: str = "",
             note: str = "") -> Row:
    return Row(benchmark, figure, value, unit, target, ">=", note)


def info(benchmark: str, figure: str, value: float | int | str, unit: str = "", note: str = "") -> Row:
    return Row(benchmark, figure, value, unit, note=note)


def rows_json(rows: Iterable[Row]) -> list[dict[str, Any]]:
    return [r.to_json() for r in rows]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: Sequence[Row]) -> str:
    head = ("benchmark", "figure", "value", "target", "status", "note")
    body = [(r.benchmark, r.figure, f"{_cell(r.value)} {r.unit}".strip(),
             f"{r.compare} {_cell(r.target)} {r.unit}".strip() if r.status else "", r.status, r.note) for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head) - 1)]
    lines = []
    for line in (head, *body):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths)) + ("  " + line[-1] if line[-1] else ""))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
