"""Human attestations for what no API can see (MFA providers, sign-up products, unpaid invoices).

An attestation is a record of who stated what, when, on which evidence, until when. They are kept in
`attestations.json` in the configuration's state directory ([state] dir, by default the folder of
closegate.toml: closegate.config.local_settings), not in an audit's --out: an operator who audits
again into a new folder must still find what was attested. Each run record carries the attestations it
used. Files kept in an --out by earlier versions are carried over once, with a message (`gather`).
The runner turns ATTEST into PASS only with a matching, unexpired one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from closegate.errors import ConfigError
from closegate.files import write_atomic
from closegate.models import iso, parse_time

__all__ = ["FILE_NAME", "MOVED_SUFFIX", "Attestation", "gather", "latest_valid", "load", "save"]

FILE_NAME = "attestations.json"
MOVED_SUFFIX = ".moved"  # what an --out's old attestations.json is renamed to once carried over
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


def gather(state_dir: Path, out: Path | None, warn: Callable[[str], None]) -> tuple[Attestation, ...]:
    """The attestations of `state_dir`, after carrying over any that an earlier version kept in `out`.

    The old file is renamed to attestations.json.moved (not deleted: it is what a person recorded), so
    it is carried over once and a later audit into that folder does not find it again.
    """
    state_dir = Path(state_dir)
    kept = load(state_dir)
    if out is None or not (Path(out) / FILE_NAME).is_file() or Path(out).resolve() == state_dir.resolve():
        return kept
    old_path = Path(out) / FILE_NAME
    old = load(Path(out))
    new = [a for a in old if a not in kept]
    if new:
        kept = (*kept, *new)
        save(state_dir, kept)
    moved = old_path.with_name(FILE_NAME + MOVED_SUFFIX)
    old_path.replace(moved)
    warn(f"attestations are now kept with the configuration: carried {len(new)} of {len(old)} from {old_path} "
         f"to {state_dir / FILE_NAME} (the old file is now {moved.name})")
    return kept
