"""Content attestations: where mailbox, OneDrive and SharePoint content was backed up, and by whom.

closegate copies no content, so CG-002 needs a person's record for every user and site that holds
some. They are closegate attestations (closegate.attestations: item, statement, by, when, evidence,
expiry) kept in the backup directory's attestations.json, so they travel with the backup they
complete. The item carries the scope ("CG-002:content", "CG-002:content:mailbox",
"CG-002:content:mailbox:alice@contoso.com"); the evidence is JSON naming the tool and location;
`when` is the date of the content backup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from closegate.attestations import Attestation, load, save
from closegate.errors import ConfigError
from closegate.facts import ContentAttestation

__all__ = ["ITEM", "REPORTS", "content_attestations", "record_content_attestation"]

ITEM = "CG-002:content"
REPORTS = ("mailbox", "onedrive", "sharepoint")


def _scope_label(scope: str) -> str:
    return "all mailbox, OneDrive and SharePoint" if not scope else scope


def _to_attestation(c: ContentAttestation) -> Attestation:
    return Attestation(
        item=f"{ITEM}:{c.scope}" if c.scope else ITEM,
        statement=f"{_scope_label(c.scope)} content was backed up with {c.tool} to {c.location}",
        by=c.by, when=c.taken,
        evidence=json.dumps({"tool": c.tool, "location": c.location}, ensure_ascii=False, sort_keys=True),
        expires=c.expires)


def _from_attestation(a: Attestation) -> ContentAttestation | None:
    if a.item != ITEM and not a.item.startswith(ITEM + ":"):
        return None
    try:
        evidence = json.loads(a.evidence)
        tool, location = str(evidence["tool"]), str(evidence["location"])
    except (ValueError, KeyError, TypeError):
        return None  # not written by `closegate backup attest`: it does not say where the content is
    return ContentAttestation(scope=a.item[len(ITEM) + 1:], tool=tool, location=location, taken=a.when,
                              by=a.by, expires=a.expires)


def content_attestations(directory: Path) -> tuple[ContentAttestation, ...]:
    return tuple(c for c in (_from_attestation(a) for a in load(directory)) if c is not None)


def record_content_attestation(directory: Path, *, scopes: Iterable[str], tool: str, location: str, by: str,
                               taken: datetime, expires: datetime | None = None) -> tuple[ContentAttestation, ...]:
    """Append one attestation per scope to DIR/attestations.json; ConfigError for anything unusable."""
    if not (tool.strip() and location.strip() and by.strip()):
        raise ConfigError("a content attestation needs --tool, --location and --by", "give all three")
    if taken.tzinfo is None:
        raise ConfigError("the content backup date has no time zone", "give it as 2025-03-01 or with +00:00")
    wanted = tuple(dict.fromkeys(s.strip() for s in scopes)) or ("",)
    for scope in wanted:
        report, _, key = scope.partition(":")
        if scope and (report not in REPORTS or (scope.endswith(":") and not key)):
            raise ConfigError(f"content scope {scope!r} is not understood",
                              f"use all, one of {', '.join(REPORTS)}, or REPORT:OWNER-OR-SITE-URL")
    made = tuple(ContentAttestation(scope=s, tool=tool.strip(), location=location.strip(), taken=taken,
                                    by=by.strip(), expires=expires) for s in wanted)
    directory.mkdir(parents=True, exist_ok=True)
    save(directory, (*load(directory), *(_to_attestation(c) for c in made)))
    return made
