"""The people a report asks to sign: one box on its sign-off page and one empty PDF signature field each.

The approvers are a rendering parameter like the page size, so they are written into the PDF's
metadata (as JSON) and `closegate verify` renders the same boxes and fields again from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_APPROVERS", "Approver", "ApproverView", "approver_field", "approvers_from_json", "approvers_json",
           "prepared_fields", "slots"]

DEFAULT_APPROVERS = 2  # blank approver boxes when no approver is named


@dataclass(frozen=True)
class Approver:
    """A person whose approval the report asks for; blank name and role leave lines to write on."""

    name: str = ""
    role: str = ""


@dataclass(frozen=True)
class ApproverView:
    number: int
    name: str
    role: str
    field: str  # the PDF signature field on this approver's box (reporting.pdf makes it)


def approver_field(number: int) -> str:
    """Name of the empty signature field prepared for approver `number` (1-based) on the sign-off page."""
    return f"approver-{number}"


def approvers_json(approvers: Sequence[Approver]) -> str:
    """The approvers as compact JSON (ASCII-escaped: it becomes a PDF metadata string)."""
    return json.dumps([{"name": a.name, "role": a.role} for a in approvers], separators=(",", ":"))


def approvers_from_json(text: str) -> tuple[Approver, ...]:
    """The inverse of approvers_json; ValueError when `text` is not what it wrote."""
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(a, dict) and isinstance(a.get("name"), str)
                                             and isinstance(a.get("role"), str) for a in data):
        raise ValueError("not a list of approvers")
    return tuple(Approver(a["name"], a["role"]) for a in data)


def slots(approvers: Sequence[Approver]) -> tuple[Approver, ...]:
    """The boxes a report draws: the approvers named, or DEFAULT_APPROVERS blank ones."""
    return tuple(approvers) or (Approver(),) * DEFAULT_APPROVERS


def prepared_fields(approvers: Sequence[Approver]) -> dict[str, Approver]:
    """Signature field name -> the approver whose box it is on, as the report prepares them."""
    return {approver_field(n): a for n, a in enumerate(slots(approvers), 1)}
