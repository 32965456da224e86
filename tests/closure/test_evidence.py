"""Closure evidence: only Entra's AADSTS90002 answer proves the tenant gone; waiting is bounded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone

from closegate.closure.evidence import Observation, OidcDiscoveryProbe, wait_until_gone
from closegate.errors import TransportError
from closegate.graph.transport import HttpResponse

TENANT = "7b2e4c1a-5f3d-4e8b-a1c6-9d0e2f4a6b80"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
NOT_FOUND = {"error": "invalid_tenant", "error_codes": [90002],
             "error_description": f"AADSTS90002: Tenant '{TENANT}' not found. Trace ID: x"}


class _Answers:
    """A transport that answers from a list and records what was asked (and with which headers)."""

    def __init__(self, *answers: tuple[int, object] | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, Mapping[str, str]]] = []

    def send(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None, timeout: float,
             follow_redirects: bool = False) -> HttpResponse:
        self.asked.append((url, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, payload = answer
        return HttpResponse(status, {}, json.dumps(payload).encode(), url)


def _probe(*answers: tuple[int, object] | Exception) -> tuple[OidcDiscoveryProbe, _Answers]:
    transport = _Answers(*answers)
    return OidcDiscoveryProbe("https://login.microsoftonline.com/", transport, clock=lambda: AT), transport


def test_the_probe_asks_the_public_discovery_document_without_any_credential() -> None:
    probe, transport = _probe((400, NOT_FOUND))
    seen = probe.observe(TENANT)
    assert seen.gone is True and seen.status == 400 and "AADSTS90002" in seen.raw
    url, headers = transport.asked[0]
    assert url == f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
    assert "Authorization" not in headers and "authorization" not in headers


def test_a_served_document_means_the_tenant_exists() -> None:
    probe, _ = _probe((200, {"issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0"}))
    assert probe.observe(TENANT).gone is False


def test_other_errors_and_silence_prove_nothing() -> None:
    probe, _ = _probe((400, {"error": "invalid_tenant", "error_codes": [900023], "error_description": "AADSTS900023"}),
                      (503, {"error": "temporarily_unavailable"}), TransportError("connection reset", "retry"),
                      (200, {"issuer": "https://login.microsoftonline.com/another-tenant/v2.0"}))
    assert [probe.observe(TENANT).gone for _ in range(4)] == [None, None, None, None]


def test_waiting_ends_at_the_first_not_found_answer_and_keeps_the_history() -> None:
    probe, _ = _probe((200, {"issuer": f"https://x/{TENANT}/v2.0"}), (503, {}), (400, NOT_FOUND))
    ticks = iter(range(100))
    slept: list[float] = []
    result = wait_until_gone(probe, TENANT, poll_seconds=30, timeout_seconds=3600, monotonic=lambda: next(ticks),
                             sleep=slept.append)
    assert result.gone and [o.gone for o in result.history] == [False, None, True]
    assert result.proof is result.history[-1] and slept == [30, 30]


def test_waiting_gives_up_after_the_timeout() -> None:
    probe, _ = _probe(*[(200, {"issuer": f"https://x/{TENANT}/v2.0"})] * 10)
    clock = iter([0.0, 40.0, 80.0, 130.0])
    slept: list[float] = []
    result = wait_until_gone(probe, TENANT, poll_seconds=50, timeout_seconds=100, monotonic=lambda: next(clock),
                             sleep=slept.append)
    assert not result.gone and result.proof is None and len(result.history) == 3
    assert slept == [50, 20]  # never sleeps past the deadline


def test_an_observation_serialises_its_raw_answer_only_when_asked() -> None:
    seen = Observation(AT, 400, True, "AADSTS90002: tenant not found", "raw body")
    assert "raw" not in seen.to_json() and seen.to_json(with_raw=True)["raw"] == "raw body"
