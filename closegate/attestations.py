"""Human attestations for what no API can see (MFA providers, sign-up products, unpaid invoices).

An attestation is a record of who stated what, when, on which evidence, until when. They are kept in
`attestations.json` beside the run record (the audit's --out directory) so the run and what was
attested travel together. The runner turns ATTEST into PASS only with a matching, unexpired one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from closegate.errors import ConfigError
from closegate.files import write_atomic
from closegate.models import iso, parse_time

__all__ = ["FILE_NAME", "Attestation", "latest_valid", "load", "save"]

FILE_NAME = "attestations.json"
_FILE_VERSION = 1


@dataclass(frozen=True)
class Attestation:
    item: str  # the check id, e.g. "CG-013"
    statement: str
    by: str
    when: datetime
    evidence: str = ""
    expires: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        return self.when <= moment and (self.expires is None or moment < self.expires)

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "statement": self.statement,
            "by": self.by,
            "when": iso(self.when),
            "evidence": self.evidence,
            "expires": iso(self.expires) if self.expires else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attestation:
        return cls(
            item=data["item"],
            statement=data["statement"],
            by=data["by"],
            when=parse_time(data["when"]),
            evidence=data.get("evidence", ""),
            expires=parse_time(data["expires"]) if data.get("expires") else None,
        )


def latest_valid(attestations: Iterable[Attestation], item: str, moment: datetime) -> Attestation | None:
    """The newest attestation of `item` in force at `moment`, if any."""
    candidates = [a for a in attestations if a.item == item and a.valid_at(moment)]
    return max(candidates, key=lambda a: a.when, default=None)


def load(directory: Path) -> tuple[Attestation, ...]:
    path = Path(directory) / FILE_NAME
    if not path.exists():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != _FILE_VERSION:
            raise ValueError(f"version {data.get('version')!r}")
        return tuple(Attestation.from_json(a) for a in data["attestations"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path} is not a closegate attestations file ({exc})",
            "restore it from the run's archive or record the attestations again with `closegate attest`",
        ) from exc


def save(directory: Path, attestations: Iterable[Attestation]) -> Path:
    """Write atomically, so an interrupted write never leaves a half file that would drop attestations."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    body = {"version": _FILE_VERSION, "attestations": [a.to_json() for a in attestations]}
    return write_atomic(path, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
