"""GraphClient against a scripted HTTPS stub: paging, retries, throttling, token refresh, typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from closegate.errors import GraphError, MalformedResponse, PermissionDenied, Throttled, TransportError
from tests.graph.helpers import FakeClock, StaticTokens, clients, settings_for
from tests.graph.stub import Req, Resp, StubServer


def graph_error(status: int, code: str, headers: dict[str, str] | None = None) -> Resp:
    return Resp(status, {"error": {"code": code, "message": "scripted",
                                   "innerError": {"request-id": "rid-123", "date": "2025-01-01T00:00:00"}}},
                {"request-id": "rid-123", **(headers or {})})


def make(tmp_path: Path, stub: StubServer, clock: FakeClock, **policy: object):
    tokens = StaticTokens()
    return clients(settings_for(tmp_path, stub), tokens, clock, **policy), tokens


def test_paging_follows_every_next_link_and_resends_consistency_level(tmp_path, stub, clock):
    pages = 25

    def route(req: Req) -> Resp:
        n = int(req.query.get("$skiptoken", "0"))
        body = {"value": [{"id": f"u{n}-{i}"} for i in range(3)]}
        if n + 1 < pages:
            body["@odata.nextLink"] = f"{stub.url}/v1.0/users?$select=id&$top=3&$skiptoken={n + 1}"
        return Resp(200, body)

    stub.route = route
    c, _ = make(tmp_path, stub, clock)
    items = c.graph.get_all("/v1.0/users", params={"$select": "id", "$top": "3", "$count": "true"},
                            headers={"ConsistencyLevel": "eventual"})
    assert len(items) == 3 * pages
    log = stub.graph_log()
    assert len(log) == pages
    assert all(r.headers.get("consistencylevel") == "eventual" for r in log)
    assert all(r.headers["authorization"] == "Bearer token-0" for r in log)
    assert c.stats.snapshot()["endpoints"]["GET /v1.0/users"]["requests"] == pages


def test_next_link_to_another_host_is_refused_so_the_token_stays_home(tmp_path, stub, clock):
    stub.route = lambda req: Resp(200, {"value": [], "@odata.nextLink": "https://evil.example/v1.0/users"})
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(MalformedResponse):
        c.graph.get_all("/v1.0/users")
    assert len(stub.graph_log()) == 1


def test_a_fractional_retry_after_is_waited_to_the_millisecond(tmp_path, stub, clock):
    state = {"n": 0}

    def route(req: Req) -> Resp:
        state["n"] += 1
        if state["n"] == 1:  # graph-facts §12.8: the documented sample sends 2.128
            return graph_error(429, "TooManyRequests", {"Retry-After": "2.128"})
        return Resp(200, {"id": "org"}, {"x-ms-throttle-limit-percentage": "0.9"})

    stub.route = route
    c, _ = make(tmp_path, stub, clock)
    assert c.graph.get("/v1.0/organization/x") == {"id": "org"}
    assert 2.128 in clock.sleeps and not any(2.128 < s <= 3 for s in clock.sleeps)
    limit = c.graph.limiter.limit
    for _ in range(50):
        c.graph.limiter.succeeded()
    assert c.graph.limiter.limit == limit  # Graph said 0.9 of its limit is used: no growth for now


def test_a_429_storm_is_ridden_out_honouring_retry_after(tmp_path, stub, clock):
    state = {"n": 0}

    def route(req: Req) -> Resp:
        state["n"] += 1
        if state["n"] <= 5:
            return graph_error(429, "TooManyRequests", {"Retry-After": "7"})
        return Resp(200, {"id": "org"})

    stub.route = route
    c, _ = make(tmp_path, stub, clock)
    assert c.graph.get("/v1.0/organization/x") == {"id": "org"}
    assert clock.sleeps.count(7) == 5
    snap = c.stats.snapshot()["totals"]
    assert snap["throttled"] == 5 and snap["retries"] == 5 and snap["requests"] == 6


def test_throttled_names_the_attempts_when_retries_run_out(tmp_path, stub, clock):
    stub.route = lambda req: graph_error(429, "TooManyRequests", {"Retry-After": "1"})
    c, _ = make(tmp_path, stub, clock, max_attempts=3)
    with pytest.raises(Throttled) as err:
        c.graph.get("/v1.0/users")
    assert err.value.attempts == 3 and err.value.status == 429 and err.value.request_id == "rid-123"
    assert len(stub.graph_log()) == 3


def test_5xx_without_retry_after_backs_off_exponentially_with_a_cap(tmp_path, stub, clock):
    state = {"n": 0}

    def route(req: Req) -> Resp:
        state["n"] += 1
        return graph_error(503, "serviceNotAvailable") if state["n"] <= 6 else Resp(200, {"ok": True})

    stub.route = route
    c, _ = make(tmp_path, stub, clock, base_delay=1.0, max_delay=8.0)
    assert c.graph.get("/v1.0/domains") == {"ok": True}
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_500_is_not_retried_and_carries_code_status_and_request_id(tmp_path, stub, clock):
    stub.route = lambda req: graph_error(500, "generalException")
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(GraphError) as err:
        c.graph.get("/v1.0/users/3f0c3c4e-0000-0000-0000-000000000000")
    e = err.value
    assert (e.status, e.code, e.request_id) == (500, "generalException", "rid-123")
    assert e.path == "/v1.0/users/{id}"  # templated: no object id in the message
    assert len(stub.graph_log()) == 1


def test_connection_reset_is_retried_for_reads(tmp_path, stub, clock):
    state = {"n": 0}

    def route(req: Req) -> Resp:
        state["n"] += 1
        return Resp(reset=True) if state["n"] <= 2 else Resp(200, {"value": []})

    stub.route = route
    c, _ = make(tmp_path, stub, clock)
    assert c.graph.get_all("/v1.0/groups") == []
    assert state["n"] == 3


def test_connection_reset_on_a_non_idempotent_post_is_not_repeated(tmp_path, stub, clock):
    stub.route = lambda req: Resp(reset=True)
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(TransportError):
        c.graph.request("POST", "/v1.0/invitations", json_body={"x": 1})
    assert len(stub.graph_log()) == 1


def test_delete_whose_retry_finds_404_counts_as_done(tmp_path, stub, clock):
    answers = iter([graph_error(504, "GatewayTimeout"), graph_error(404, "Request_ResourceNotFound")])
    stub.route = lambda req: next(answers)
    c, _ = make(tmp_path, stub, clock)
    assert c.graph.request("DELETE", "/v1.0/users/abc@contoso.example").status == 204


def test_delete_of_a_missing_object_on_first_try_is_not_found(tmp_path, stub, clock):
    stub.route = lambda req: graph_error(404, "Request_ResourceNotFound")
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(GraphError) as err:
        c.graph.request("DELETE", "/v1.0/users/abc@contoso.example")
    assert err.value.status == 404


def test_patch_is_retried_after_503_only_when_it_sets_a_fixed_value(tmp_path, stub, clock):
    answers = iter([graph_error(503, "serviceNotAvailable"), Resp(204)])
    stub.route = lambda req: next(answers)
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(Throttled):
        c.graph.request("PATCH", "/v1.0/organization/x", json_body={"onPremisesSyncEnabled": False})
    answers = iter([graph_error(503, "serviceNotAvailable"), Resp(204)])
    assert c.graph.request("PATCH", "/v1.0/organization/x", json_body={"onPremisesSyncEnabled": False},
                           idempotent=True).status == 204


def test_401_refreshes_the_token_once_then_fails(tmp_path, stub, clock):
    stub.route = lambda req: (Resp(200, {"ok": 1}) if req.headers["authorization"].endswith("-1")
                              else graph_error(401, "InvalidAuthenticationToken"))
    c, tokens = make(tmp_path, stub, clock)
    assert c.graph.get("/v1.0/organization") == {"ok": 1}
    assert tokens.invalidated == ["https://graph.microsoft.com"]
    stub.route = lambda req: graph_error(401, "InvalidAuthenticationToken")
    with pytest.raises(GraphError) as err:
        c.graph.get("/v1.0/organization")
    assert err.value.status == 401 and len(tokens.invalidated) == 2


def test_403_names_the_permission_the_endpoint_needs_and_how_to_grant_it(tmp_path, stub, clock):
    stub.route = lambda req: graph_error(403, "Authorization_RequestDenied")
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(PermissionDenied) as err:
        c.graph.get_all("/v1.0/roleManagement/directory/roleAssignments", params={"$filter": "x eq 'y'"})
    e = err.value
    assert e.permissions[0] == "RoleManagement.Read.Directory"
    assert "RoleManagement.Read.Directory" in e.cause
    assert "admin consent" in e.fix and "Application permissions" in e.fix


def test_date_header_becomes_the_tenant_clock(tmp_path, stub, clock):
    stub.route = lambda req: Resp(200, {"value": []})
    c, _ = make(tmp_path, stub, clock)
    assert c.graph.last_date is None
    c.graph.get_all("/v1.0/domains")
    assert c.graph.last_date is not None and c.graph.last_date.tzinfo is not None


def test_non_json_body_is_malformed(tmp_path, stub, clock):
    stub.route = lambda req: Resp(200, b"<html>proxy login</html>", {"Content-Type": "text/html"})
    c, _ = make(tmp_path, stub, clock)
    with pytest.raises(MalformedResponse):
        c.graph.get("/v1.0/organization")


def test_no_token_in_logs_output_or_errors(tmp_path, stub, clock, caplog, capsys):
    import logging

    caplog.set_level(logging.DEBUG)

    class SecretTokens(StaticTokens):
        def token(self, resource: str) -> str:
            return "eyJ.very-secret-bearer.sig"

    c = clients(settings_for(tmp_path, stub), SecretTokens(), clock, max_attempts=2)
    errors = []
    for route in (lambda r: graph_error(403, "Authorization_RequestDenied"), lambda r: graph_error(401, "x"),
                  lambda r: Resp(reset=True), lambda r: graph_error(429, "TooManyRequests")):
        stub.route = route
        with pytest.raises(Exception) as err:
            c.graph.get("/v1.0/users")
        errors.append(f"{err.value!r} {err.value}")
    out = capsys.readouterr()
    for text in (caplog.text, out.out, out.err, *errors, json.dumps(c.stats.snapshot())):
        assert "very-secret-bearer" not in text and "s3cr3t" not in text
