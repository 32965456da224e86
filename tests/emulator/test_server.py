"""The HTTPS server and the front door: keep-alive, stalled clients, resets, 401s, faults, the log.

Transport tests run the server over a small recording dispatcher; front-door tests run a whole
emulator (each its own, since they change faults or tenant state).
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from closegate.emulator import Emulator
from closegate.emulator.app import Dispatch
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.certs import Pki
from closegate.emulator.faults import Fault, FaultInjector, parse_fault_spec
from closegate.emulator.server import EmulatorServer
from closegate.emulator.tokens import GRAPH, TokenIssuer
from closegate.emulator.wire import Request, json_response
from closegate.errors import ConfigError

SessionFactory = Callable[[Emulator], requests.Session]


class Recorder:
    """Answers every request with JSON echoing path and body size; `/reset` drops the connection."""

    def dispatch(self, req: Request, peer: str) -> Dispatch:
        if req.path == "/reset":
            return Dispatch(None)
        return Dispatch(json_response(200, {"path": req.path, "body": len(req.body)}))


@pytest.fixture
def served(emulator_pki: Pki) -> Iterator[tuple[EmulatorServer, Recorder]]:
    recorder = Recorder()
    server = EmulatorServer(recorder, cert_path=emulator_pki.server_cert_path, key_path=emulator_pki.server_key_path)
    server.start()
    yield server, recorder
    server.stop()


def tls_connection(server: EmulatorServer, pki: Pki, timeout: float = 5.0) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(pki.ca_path))
    return http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=timeout)


def test_one_tls_connection_serves_many_requests(served: tuple[EmulatorServer, Recorder], emulator_pki: Pki) -> None:
    server, _ = served
    conn = tls_connection(server, emulator_pki)
    conn.request("GET", "/first")
    first = conn.getresponse()
    assert first.version == 11 and first.getheader("Content-Length") is not None
    first.read()
    sock = conn.sock
    for i in range(25):
        conn.request("POST", f"/n/{i}", body=b"x" * i)
        response = conn.getresponse()
        assert json.loads(response.read()) == {"path": f"/n/{i}", "body": i}
    assert conn.sock is sock  # never reconnected: keep-alive held (P4)
    conn.close()


def test_a_silent_tcp_client_does_not_block_others(served: tuple[EmulatorServer, Recorder],
                                                   emulator_pki: Pki) -> None:
    server, _ = served
    silent = socket.create_connection(("127.0.0.1", server.port))  # connects, never says hello (P3)
    try:
        started = time.perf_counter()
        conn = tls_connection(server, emulator_pki, timeout=3)
        conn.request("GET", "/while-someone-is-silent")
        assert conn.getresponse().status == 200
        assert time.perf_counter() - started < 1.0
        conn.close()
    finally:
        silent.close()


def test_a_reset_is_a_connection_error_to_the_client(served: tuple[EmulatorServer, Recorder],
                                                     emulator_pki: Pki) -> None:
    server, _ = served
    session = requests.Session()
    session.verify, session.trust_env = str(emulator_pki.ca_path), False
    with pytest.raises(requests.ConnectionError):
        session.get(f"{server.base_url}/reset", timeout=5)
    assert session.get(f"{server.base_url}/after", timeout=5).status_code == 200


def test_chunked_request_bodies_are_refused_with_411(served: tuple[EmulatorServer, Recorder],
                                                     emulator_pki: Pki) -> None:
    server, _ = served
    conn = tls_connection(server, emulator_pki)
    conn.request("POST", "/x", body=iter([b"abc"]), headers={"Transfer-Encoding": "chunked"})
    assert conn.getresponse().status == 411
    conn.close()


def test_stop_returns_promptly_with_open_and_silent_connections(emulator_pki: Pki) -> None:
    server = EmulatorServer(Recorder(), cert_path=emulator_pki.server_cert_path,
                            key_path=emulator_pki.server_key_path)
    server.start()
    kept = tls_connection(server, emulator_pki)
    kept.request("GET", "/keep")
    kept.getresponse().read()
    silent = socket.create_connection(("127.0.0.1", server.port))
    started = time.perf_counter()
    server.stop()
    assert time.perf_counter() - started < 2.0
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        kept.request("GET", "/after-stop")
        kept.getresponse().read()
    silent.close()


# -- fault spec ----------------------------------------------------------------------------------


def test_fault_spec_parses_every_documented_key() -> None:
    spec = parse_fault_spec("latency=20ms..80ms,429=0.05,503=0.02,504=0.01,reset=0.01,slow=0.01,"
                            "token_lifetime=30s,eventual=5s,seed=7,slow_seconds=2m")
    assert (spec.latency_min, spec.latency_max) == pytest.approx((0.02, 0.08))
    assert (spec.rate_429, spec.rate_503, spec.rate_504, spec.rate_reset, spec.rate_slow) == (
        0.05, 0.02, 0.01, 0.01, 0.01)
    assert (spec.token_lifetime, spec.eventual, spec.seed, spec.slow_seconds) == (30.0, 5.0, 7, 120.0)
    assert parse_fault_spec(spec.describe()) == spec


@pytest.mark.parametrize("text", ["429=2", "bogus=1", "latency=fast", "429", "seed=x", "latency=80ms..20ms",
                                  "429=0.6,503=0.6"])
def test_bad_fault_specs_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_fault_spec(text)


def test_seeded_faults_repeat_exactly() -> None:
    spec = parse_fault_spec("429=0.2,503=0.1,reset=0.1,latency=1ms..5ms,seed=42")
    injectors = (FaultInjector(spec), FaultInjector(spec))
    runs = [[(d.fault, d.delay) for d in (injector.decide() for _ in range(200))] for injector in injectors]
    assert runs[0] == runs[1]
    faults = [f for f, _ in runs[0]]
    assert 20 < faults.count(Fault.THROTTLE) < 60 and faults.count(Fault.NONE) > 80


# -- the front door of a whole emulator ----------------------------------------------------------


def app_token(emu: Emulator, http: requests.Session, scope: str = "https://graph.microsoft.com/.default") -> str:
    assert emu.apps is not None
    response = http.post(f"{emu.authority}/oauth2/v2.0/token", data={
        "client_id": emu.apps.read_write.client_id, "client_secret": emu.apps.read_write.secret,
        "grant_type": "client_credentials", "scope": scope})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_graph_answers_with_request_ids(emulator: Emulator, emulator_http: requests.Session) -> None:
    response = emulator_http.get(f"{emulator.url}/v1.0/organization", headers={
        **bearer(app_token(emulator, emulator_http)), "client-request-id": "cr-1"})
    assert response.status_code == 200
    assert response.headers["request-id"] and response.headers["client-request-id"] == "cr-1"


def graph_401(emu: Emulator, http: requests.Session, headers: dict[str, str]) -> dict[str, Any]:
    response = http.get(f"{emu.url}/v1.0/organization", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken" and error["innerError"]["request-id"]
    return error


def test_graph_refuses_missing_malformed_forged_expired_foreign_and_arm_tokens(
        emulator: Emulator, emulator_http: requests.Session) -> None:
    graph_401(emulator, emulator_http, {})
    graph_401(emulator, emulator_http, bearer("not-a-jwt"))
    # Same kid and claims, someone else's key.
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = TokenIssuer(dataclasses.replace(emulator.pki, signing_key=other_key), emulator.tenant_id)
    assert emulator.apps is not None
    token, _ = forged.app_token(emulator.apps.read_write, GRAPH, "oid", certificate=False, wids=frozenset())
    graph_401(emulator, emulator_http, bearer(token))
    stale = TokenIssuer(emulator.pki, emulator.tenant_id, wall=lambda: time.time() - 7200)
    token, _ = stale.app_token(emulator.apps.read_write, GRAPH, "oid", certificate=False, wids=frozenset())
    assert "expired" in graph_401(emulator, emulator_http, bearer(token))["message"]
    foreign = TokenIssuer(emulator.pki, str(uuid.uuid4()))
    token, _ = foreign.app_token(emulator.apps.read_write, GRAPH, "oid", certificate=False, wids=frozenset())
    graph_401(emulator, emulator_http, bearer(token))
    arm = app_token(emulator, emulator_http, "https://management.azure.com/.default")
    assert "audience" in graph_401(emulator, emulator_http, bearer(arm))["message"]


def test_arm_refuses_graph_tokens_in_its_own_error_shape(emulator: Emulator, emulator_http: requests.Session) -> None:
    url = f"{emulator.url}/subscriptions?api-version=2022-12-01"
    missing = emulator_http.get(url)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "AuthenticationFailed"
    wrong = emulator_http.get(url, headers=bearer(app_token(emulator, emulator_http)))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"
    assert "invalid_token" in wrong.headers["WWW-Authenticate"]
    assert emulator.apps is not None
    stale = TokenIssuer(emulator.pki, emulator.tenant_id, wall=lambda: time.time() - 7200)
    from closegate.emulator.tokens import ARM

    token, _ = stale.app_token(emulator.apps.read_write, ARM, "oid", certificate=False, wids=frozenset())
    expired = emulator_http.get(url, headers=bearer(token))
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "ExpiredAuthenticationToken"
    ok = emulator_http.get(url, headers=bearer(app_token(emulator, emulator_http,
                                                         "https://management.azure.com/.default")))
    assert ok.status_code == 200


@pytest.mark.parametrize(("spec", "status", "code"), [("429=1", 429, "TooManyRequests"),
                                                      ("503=1", 503, "serviceNotAvailable"),
                                                      ("504=1", 504, "UnknownError")])
def test_injected_status_faults_look_like_graph(emulator_factory: Callable[..., Emulator],
                                                trusting_session: SessionFactory, spec: str, status: int,
                                                code: str) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults=spec)
    http = trusting_session(emu)
    response = http.get(f"{emu.url}/v1.0/organization", headers=bearer(app_token(emu, http)))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.headers["request-id"]
    if status != 504:
        assert response.headers["Retry-After"] == "1"


def test_injected_reset_is_a_connection_error(emulator_factory: Callable[..., Emulator],
                                              trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults="reset=1")
    http = trusting_session(emu)
    token = app_token(emu, http)  # the identity platform is never faulted
    with pytest.raises(requests.ConnectionError):
        http.get(f"{emu.url}/v1.0/organization", headers=bearer(token), timeout=5)
    assert emu.log.entries()[-1].status == 0


def test_slow_responses_outlast_the_client_timeout(emulator_factory: Callable[..., Emulator],
                                                   trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults="slow=1,slow_seconds=3")
    http = trusting_session(emu)
    token = app_token(emu, http)
    started = time.perf_counter()
    with pytest.raises(requests.ReadTimeout):
        http.get(f"{emu.url}/v1.0/organization", headers=bearer(token), timeout=0.3)
    assert time.perf_counter() - started < 2.0


def test_latency_delays_api_answers(emulator_factory: Callable[..., Emulator],
                                    trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults="latency=60ms")
    http = trusting_session(emu)
    headers = bearer(app_token(emu, http))
    started = time.perf_counter()
    assert http.get(f"{emu.url}/v1.0/organization", headers=headers).status_code == 200
    assert time.perf_counter() - started >= 0.06


def test_token_lifetime_fault_shortens_access_tokens(emulator_factory: Callable[..., Emulator],
                                                     trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults="token_lifetime=30s")
    http = trusting_session(emu)
    assert emu.apps is not None
    response = http.post(f"{emu.authority}/oauth2/v2.0/token", data={
        "client_id": emu.apps.read_only.client_id, "client_secret": emu.apps.read_only.secret,
        "grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"})
    assert response.json()["expires_in"] == 30


def test_request_log_records_paths_and_app_ids_but_no_secrets(emulator_factory: Callable[..., Emulator],
                                                              trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    http = trusting_session(emu)
    token = app_token(emu, http)
    http.get(f"{emu.url}/v1.0/users?$top=1&$select=id", headers=bearer(token))
    http.get(f"{emu.url}/v1.0/users", headers=bearer("garbage.token.here"))
    log = emu.operator.request_log()
    assert emu.apps is not None
    assert [(e["method"], e["status"]) for e in log] == [("POST", 200), ("GET", 200), ("GET", 401)]
    assert log[1]["path"] == "/v1.0/users" and log[1]["app_id"] == emu.apps.read_write.client_id
    assert all(e["duration_ms"] >= 0 and e["request_id"] for e in log)
    text = json.dumps(log)
    assert token not in text and str(emu.apps.read_write.secret) not in text and "$top" not in text
    emu.operator.clear_request_log()
    assert emu.operator.request_log() == []


def test_deleted_tenant_refuses_sign_in_and_graph(emulator_factory: Callable[..., Emulator],
                                                  trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    http = trusting_session(emu)
    token = app_token(emu, http)
    emu.operator.delete_tenant(force=True)
    assert http.get(f"{emu.url}/v1.0/organization", headers=bearer(token)).status_code == 401
    assert emu.apps is not None
    refused = http.post(f"{emu.authority}/oauth2/v2.0/token", data={
        "client_id": emu.apps.read_write.client_id, "client_secret": emu.apps.read_write.secret,
        "grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"})
    assert refused.status_code == 400 and refused.json()["error_codes"] == [90002]


# -- closegate.toml and `closegate emulator serve` -----------------------------------------------


def test_config_names_the_emulator_and_its_apps(emulator: Emulator) -> None:
    import tomllib

    assert emulator.config_path is not None and emulator.apps is not None
    config = tomllib.loads(emulator.config_path.read_text(encoding="utf-8"))
    assert list(config) == ["tenant", "cloud", "auth", "audit", "backup", "signoff", "emulator"]
    assert config["tenant"] == {"id": emulator.tenant_id, "cloud": "custom",
                                "closing_admin": emulator.state.closing_admin_upn}
    assert config["cloud"] == {"authority_host": emulator.url, "graph_url": emulator.url,
                               "graph_resource": "https://graph.microsoft.com", "arm_url": emulator.url,
                               "arm_resource": "https://management.azure.com", "ca_bundle": str(emulator.ca_path)}
    assert config["auth"] == {"method": "client_secret", "client_id": emulator.apps.read_write.client_id,
                              "client_secret": emulator.apps.read_write.secret}
    extra = config["emulator"]
    assert extra["operator_url"] == f"{emulator.url}/_emulator" and extra["scenario"] == "demo"
    assert extra["readonly_client_id"] == emulator.apps.read_only.client_id
    assert extra["public_client_id"] == emulator.apps.public.client_id
    assert extra["admin_user_principal_name"] == emulator.state.closing_admin_upn
    assert extra["certificate_thumbprint"] == emulator.pki.app_thumbprint_sha1_hex
    assert {"certificate_key_path", "certificate_cert_path", "certificate_pfx_path",
            "certificate_pfx_password", "certificate_client_id", "readonly_client_secret"} <= extra.keys()
    assert (emulator.config_path.parent / "ready").read_text().strip() == emulator.url


def test_toml_strings_survive_hostile_text() -> None:
    import tomllib

    from closegate.emulator.config_writer import toml_string

    nasty = 'quote " back \\ tab \t nl \n del \x7f bell \x07 rtl \u202e emoji \U0001F600'
    assert tomllib.loads(f"v = {toml_string(nasty)}")["v"] == nasty


def test_serve_writes_config_then_ready_and_stops_on_sigterm(tmp_path: Any) -> None:
    import os
    import signal
    import subprocess
    import sys
    import tomllib

    state_dir = tmp_path / "serve"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", "from closegate.cli import main; main()", "emulator", "serve", "--scenario", "ready",
                             "--state-dir", str(state_dir), "--faults", "seed=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        while not (state_dir / "ready").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the emulator never became ready"
            time.sleep(0.02)  # polling a child process; no clock to inject here
        config = tomllib.loads((state_dir / "closegate.toml").read_text(encoding="utf-8"))
        session = requests.Session()
        session.verify, session.trust_env = config["cloud"]["ca_bundle"], False
        doc = session.get(f"{config['cloud']['authority_host']}/{config['tenant']['id']}"
                          "/v2.0/.well-known/openid-configuration", timeout=5)
        assert doc.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert config["cloud"]["authority_host"] in out and "closegate.toml" in out


def test_serve_rejects_a_bad_fault_spec(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from closegate.cli import main

    result = CliRunner().invoke(main, ["emulator", "serve", "--state-dir", str(tmp_path), "--faults", "429=9"])
    assert result.exit_code == 2 and "fault spec" in result.output
