"""Proof that the tenant is gone: Entra's own public answer, watched until it says so.

The only accepted proof of closure is Microsoft Entra answering AADSTS90002 ("Tenant not found") for
the tenant's OpenID Connect discovery document. That document is public, so the check needs no
credential, which matters: by then closegate's own registration is deleted and sign-in is impossible.
Anything else (the document served, a 5xx, no answer) means "not gone yet" or "cannot tell"; only
the 90002 answer ends the wait. `TenantProbe` is the seam for another way of looking.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from closegate.errors import ClosegateError
from closegate.files import write_atomic
from closegate.graph.transport import Transport
from closegate.models import iso

__all__ = ["EVIDENCE_FILE", "ClosureEvidence", "Observation", "OidcDiscoveryProbe", "TenantProbe",
           "WaitResult", "wait_until_gone", "write_evidence"]

EVIDENCE_FILE = "closure-evidence.json"
EVIDENCE_FORMAT = "closegate-closure-evidence/1"
TENANT_NOT_FOUND = 90002
_RAW_LIMIT = 4000  # an answer is kept verbatim up to this many characters
_AADSTS = re.compile(r"AADSTS(\d+)")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Observation:
    """One look at the tenant. `gone`: True only on AADSTS90002; False when it is served; None: cannot tell."""

    at: datetime
    status: int  # HTTP status, 0 when nothing came back
    gone: bool | None
    outcome: str  # one line: "AADSTS90002 tenant not found", "the tenant exists", "no answer: ..."
    raw: str = ""  # the answer's body, bounded

    def to_json(self, *, with_raw: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {"at": iso(self.at), "status": self.status, "gone": self.gone, "outcome": self.outcome}
        if with_raw:
            row["raw"] = self.raw
        return row


class TenantProbe(Protocol):
    url: str

    def observe(self, tenant_id: str) -> Observation: ...


@dataclass(frozen=True)
class OidcDiscoveryProbe:
    """GET {authority}/{tenant}/v2.0/.well-known/openid-configuration, anonymously."""

    authority_host: str
    transport: Transport
    timeout: float = 30.0
    clock: Callable[[], datetime] = _utc_now
    url: str = field(default="", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", f"{self.authority_host.rstrip('/')}/{{tenant}}/v2.0/.well-known/"
                                        "openid-configuration")

    def observe(self, tenant_id: str) -> Observation:
        url = self.url.replace("{tenant}", quote(tenant_id, safe=""))
        at = self.clock()
        try:
            resp = self.transport.send("GET", url, headers={"Accept": "application/json"}, body=None,
                                       timeout=self.timeout)
        except ClosegateError as exc:
            return Observation(at, 0, None, f"no answer: {exc.cause}")
        raw = resp.body.decode("utf-8", errors="replace")[:_RAW_LIMIT]
        try:
            data = json.loads(resp.body)
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        if resp.status == 200 and tenant_id.lower() in str(data.get("issuer", "")).lower():
            return Observation(at, 200, False, "the tenant exists (its sign-in metadata is served)", raw)
        codes = data.get("error_codes")
        description = str(data.get("error_description", ""))
        stated = _AADSTS.match(description)
        # Compared as numbers: AADSTS900023 (a malformed tenant name) must not pass for 90002.
        if (isinstance(codes, list) and TENANT_NOT_FOUND in codes) or (stated and int(stated[1]) == TENANT_NOT_FOUND):
            return Observation(at, resp.status, True, f"AADSTS{TENANT_NOT_FOUND}: tenant not found", raw)
        what = data.get("error") or (f"issuer {str(data.get('issuer'))[:80]!r}" if "issuer" in data else "no JSON error")
        return Observation(at, resp.status, None, f"HTTP {resp.status} ({what}): cannot tell", raw)


@dataclass(frozen=True)
class WaitResult:
    gone: bool
    history: tuple[Observation, ...]

    @property
    def proof(self) -> Observation | None:
        return next((o for o in self.history if o.gone), None)


def wait_until_gone(probe: TenantProbe, tenant_id: str, *, poll_seconds: float, timeout_seconds: float,
                    monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                    on_poll: Callable[[Observation], None] = lambda o: None) -> WaitResult:
    """Look until Entra says the tenant is gone or `timeout_seconds` pass (one look at least)."""
    started = monotonic()
    history: list[Observation] = []
    while True:
        seen = probe.observe(tenant_id)
        history.append(seen)
        on_poll(seen)
        if seen.gone:
            return WaitResult(True, tuple(history))
        left = timeout_seconds - (monotonic() - started)
        if left <= 0:
            return WaitResult(False, tuple(history))
        sleep(min(poll_seconds, left))


@dataclass(frozen=True)
class ClosureEvidence:
    tenant_id: str
    run_id: str
    certificate_id: str
    certificate_pdf_sha256: str
    probe_url: str
    result: WaitResult

    def to_json(self) -> dict[str, Any]:
        proof = self.result.proof
        body = {
            "format": EVIDENCE_FORMAT,
            "tenant_id": self.tenant_id,
            "run_id": self.run_id,
            "go_certificate_id": self.certificate_id,
            "go_certificate_pdf_sha256": self.certificate_pdf_sha256,
            "probe": self.probe_url.replace("{tenant}", self.tenant_id),
            "first_seen_gone": iso(proof.at) if proof else None,
            "aadsts_answer": proof.to_json(with_raw=True) if proof else None,
            "polls": [o.to_json() for o in self.result.history],
        }
        return {**body, "evidence_id": hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                                                 ensure_ascii=False).encode("utf-8")).hexdigest()}


def write_evidence(evidence: ClosureEvidence, out_dir: Path) -> Path:
    return write_atomic(out_dir / EVIDENCE_FILE,
                        json.dumps(evidence.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
