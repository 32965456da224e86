"""The request log sees inside $batch: one entry per inner request, linked to its HTTP request.

Crash-and-resume tests prove "nothing applied twice" from this log, so an inner request must be
logged with the status the tenant answered it with, however the batch ordered its responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from tests.emulator.test_server import app_token, bearer

SessionFactory = Callable[[Emulator], requests.Session]


def _members(emu: Emulator, n: int) -> list[str]:
    admin = emu.state.closing_admin_upn
    return [u.id for u in emu.state.live_users() if u.user_principal_name != admin][:n]


def _batch(emu: Emulator, http: requests.Session, token: str, items: list[dict[str, Any]]) -> requests.Response:
    return http.post(f"{emu.url}/v1.0/$batch", json={"requests": items}, headers=bearer(token))


def _inner(log: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["batch_item"]: e for e in log if e["batch"] is not None}


def test_each_inner_request_is_logged_with_its_own_status_and_linked_to_its_batch(
        emulator_factory: Callable[..., Emulator], trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder().users(4, seed=1))
    http = trusting_session(emu)
    token = app_token(emu, http)
    gone, kept = _members(emu, 2)
    emu.operator.clear_request_log()
    items = [
        {"id": "del", "method": "DELETE", "url": f"/users/{gone}"},
        {"id": "again", "method": "DELETE", "url": f"/users/{gone}", "dependsOn": ["del"]},
        {"id": "missing", "method": "GET", "url": "/users/nobody@nowhere.example"},
        {"id": "skipped", "method": "GET", "url": "/organization", "dependsOn": ["missing"]},
        {"id": "page", "method": "GET", "url": f"/users/{kept}?$select=id"},
    ]

    response = _batch(emu, http, token, items)

    answers = response.json()["responses"]
    assert [a["id"] for a in answers] != [i["id"] for i in items]  # answered out of order
    log = emu.operator.request_log()
    outer = [e for e in log if e["batch"] is None]
    assert [(e["method"], e["path"], e["status"]) for e in outer] == [("POST", "/v1.0/$batch", 200)]
    inner = _inner(log)
    assert {k: e["status"] for k, e in inner.items()} == {a["id"]: a["status"] for a in answers}
    assert {k: e["status"] for k, e in inner.items()} == {"del": 204, "again": 404, "missing": 404,
                                                           "skipped": 424, "page": 200}
    assert inner["del"]["method"] == "DELETE" and inner["del"]["path"] == f"/v1.0/users/{gone}"
    assert inner["page"]["path"] == f"/v1.0/users/{kept}"
    assert emu.apps is not None
    assert all(e["batch"] == outer[0]["id"] and e["app_id"] == emu.apps.read_write.client_id
               and e["duration_ms"] >= 0 for e in inner.values())
    assert len({e["id"] for e in log}) == len(log) == 1 + len(items)
    assert emu.operator.request_log(batch_items=False) == outer


def test_throttled_inner_requests_are_logged_as_429_and_change_nothing(
        emulator_factory: Callable[..., Emulator], trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder().users(6, seed=2))
    http = trusting_session(emu)
    token = app_token(emu, http)
    targets = _members(emu, 4)
    emu.operator.set_limits(writes_per_window=2)
    emu.operator.clear_request_log()

    response = _batch(emu, http, token, [{"id": f"u{n}", "method": "DELETE", "url": f"/users/{uid}"}
                                         for n, uid in enumerate(targets)])

    assert response.status_code == 200
    inner = _inner(emu.operator.request_log())
    assert sorted(e["status"] for e in inner.values()) == [204, 204, 429, 429]
    for n, uid in enumerate(targets):
        deleted = emu.state.users[uid].deleted_at is not None
        assert deleted is (inner[f"u{n}"]["status"] == 204), uid


def test_inner_entries_hold_no_token_secret_body_query_or_credentials(
        emulator_factory: Callable[..., Emulator], trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder().users(2, seed=3))
    http = trusting_session(emu)
    token = app_token(emu, http)
    (uid,) = _members(emu, 1)
    emu.operator.clear_request_log()
    items = [
        {"id": "patch", "method": "PATCH", "url": f"/users/{uid}?$select=id&mark=query-value",
         "headers": {"Content-Type": "application/json", "Authorization": "Bearer inner-token-value",
                     "client-request-id": "item-request-id"},
         "body": {"passwordProfile": {"password": "body-password-value"}}},
        {"id": "filter", "method": "GET", "url": "/users?$filter=startswith(displayName,'filter-value')"},
        {"id": "absolute", "method": "GET", "url": "https://someone:url-password@graph.example/v1.0/users?q=1"},
    ]

    assert _batch(emu, http, token, items).status_code == 200

    log = emu.operator.request_log()
    inner = _inner(log)
    assert inner["patch"]["path"] == f"/v1.0/users/{uid}" and inner["patch"]["request_id"] == "item-request-id"
    assert inner["filter"]["path"] == "/v1.0/users" and inner["filter"]["status"] == 200
    assert inner["absolute"]["path"] == "/v1.0/users" and inner["absolute"]["status"] == 400
    text = json.dumps(log)
    assert emu.apps is not None
    for secret in (token, str(emu.apps.read_write.secret), "inner-token-value", "body-password-value",
                   "query-value", "filter-value", "url-password", "someone", "?", "$select", "$filter"):
        assert secret not in text, secret


def test_a_batch_refused_as_a_whole_runs_and_logs_no_inner_request(
        emulator_factory: Callable[..., Emulator], trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder().users(2, seed=4))
    http = trusting_session(emu)
    token = app_token(emu, http)
    (uid,) = _members(emu, 1)
    emu.operator.clear_request_log()
    cyclic = [{"id": "del", "method": "DELETE", "url": f"/users/{uid}"},
              {"id": "x", "method": "GET", "url": "/organization", "dependsOn": ["y"]},
              {"id": "y", "method": "GET", "url": "/organization", "dependsOn": ["x"]}]

    assert _batch(emu, http, token, cyclic).status_code == 400

    assert emu.state.users[uid].deleted_at is None  # refused before the DELETE ran, as Graph does
    assert [(e["path"], e["status"], e["batch"]) for e in emu.operator.request_log()] == [
        ("/v1.0/$batch", 400, None)]


def test_the_write_tally_outlives_the_bounded_entries_and_counts_batched_writes() -> None:
    from closegate.emulator.app import LogEntry, RequestLog

    log = RequestLog(capacity=2)

    def entry(method: str, path: str, status: int, batch: str | None = None) -> LogEntry:
        return LogEntry(id=f"{method}{path}{status}", time="t", method=method, path=path, status=status, app_id="a",
                        duration_ms=1.0, request_id="r", batch=batch)

    log.add(entry("POST", "/v1.0/$batch", 200), entry("DELETE", "/users/u1", 204, "b"),
            entry("DELETE", "/users/u2", 429, "b"))
    log.add(entry("DELETE", "/v1.0/users/u2", 204), entry("GET", "/v1.0/users", 200))
    assert len(log.entries()) == 2
    assert sorted((w["method"], w["path"], w["status"], w["count"]) for w in log.writes()) == [
        ("DELETE", "/users/u1", 204, 1), ("DELETE", "/users/u2", 429, 1), ("DELETE", "/v1.0/users/u2", 204, 1)]
    log.clear()
    assert log.writes() == []
