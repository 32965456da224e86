"""A small HTTPS server for client-side tests: a scripted Graph plus a minimal identity platform.

The emulator is the faithful tenant; this stub exists to script exact wire behaviour (a 429 on the
third request, a reset mid-page, a malformed batch) that a realistic tenant would not produce on cue.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "s3cr3t-VALUE-never-printed"


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Resp:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str as is
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # close the connection without answering


def unsigned_jwt(claims: dict[str, Any]) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc(claims)}.sig"


def make_pki(directory: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "closegate test CA")])
    now = dt.datetime.now(dt.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                         critical=False)
          .sign(key, hashes.SHA256()))
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "ca.pem"


class StubServer:
    """HTTPS on 127.0.0.1; `route(req) -> Resp` decides every answer. Identity endpoints built in."""

    def __init__(self, directory: Path, route: Callable[[Req], Resp] | None = None) -> None:
        self.ca_path = make_pki(directory)
        self.route = route or (lambda req: Resp(404, {"error": {"code": "NotFound", "message": "no route"}}))
        self.log: list[Req] = []
        self.token_lifetime = 3600
        self.claims: dict[str, Any] = {"roles": ["User.Read.All"]}
        self.token_error: dict[str, Any] | None = None
        self.device_codes: dict[str, bool] = {}
        self.issued = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _do(self) -> None:
                parts = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                req = Req(self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                          {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(n) if n else b"")
                with stub.lock:
                    stub.log.append(req)
                resp = stub.identity(req) if "/oauth2/" in req.path or "/v2.0/" in req.path else stub.route(req)
                if resp.reset:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                body = resp.body
                if isinstance(body, dict | list):
                    body = json.dumps(body).encode()
                    resp.headers.setdefault("Content-Type", "application/json")
                elif isinstance(body, str):
                    body = body.encode()
                body = body or b""
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _do

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.ca_path, directory / "key.pem")
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def graph_log(self) -> list[Req]:
        return [r for r in self.log if "/oauth2/" not in r.path and "/v2.0/" not in r.path]

    # -- identity platform ----------------------------------------------------------------------

    def identity(self, req: Req) -> Resp:
        base = f"{self.url}/{TENANT}"
        if req.path.endswith("/.well-known/openid-configuration"):
            return Resp(200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                              "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                              "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                              "issuer": f"{self.url}/{TENANT}/v2.0"})
        form = req.form()
        if req.path.endswith("/devicecode"):
            code = uuid.uuid4().hex[:8].upper()
            self.device_codes[code] = False
            return Resp(200, {"user_code": code, "device_code": "dc-" + code, "verification_uri": f"{self.url}/device",
                              "expires_in": 900, "interval": 1,
                              "message": f"To sign in, open {self.url}/device and enter the code {code}."})
        if self.token_error is not None:
            return Resp(400, self.token_error)
        grant = form.get("grant_type", "")
        claims = {"aud": form.get("scope", "").split(" ")[0].removesuffix("/.default"), "tid": TENANT,
                  "appid": form.get("client_id"), "exp": int(time.time()) + self.token_lifetime,
                  "n": self.issued, **self.claims}
        if grant == "client_credentials":
            if "client_secret" in form:
                if form["client_secret"] != SECRET:
                    return Resp(401, {"error": "invalid_client", "error_codes": [7000215],
                                      "error_description": "AADSTS7000215: Invalid client secret provided."})
            else:
                assertion = form.get("client_assertion", "")
                header = jwt.get_unverified_header(assertion)
                self.last_assertion_header = header
                claims_in = jwt.decode(assertion, options={"verify_signature": False})
                if claims_in.get("aud") != f"{base}/oauth2/v2.0/token":
                    return Resp(401, {"error": "invalid_client", "error_codes": [700027],
                                      "error_description": "AADSTS700027: bad assertion"})
        elif grant == "urn:ietf:params:oauth:grant-type:device_code":
            code = form.get("device_code", "").removeprefix("dc-")
            if not self.device_codes.get(code):
                return Resp(400, {"error": "authorization_pending", "error_description": "AADSTS70016: pending"})
        elif grant != "refresh_token":
            return Resp(400, {"error": "unsupported_grant_type"})
        self.issued += 1
        out = {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": unsigned_jwt(claims)}
        if grant != "client_credentials":
            uid = "99999999-0000-0000-0000-000000000001"
            info = base64.urlsafe_b64encode(json.dumps({"uid": uid, "utid": TENANT}).encode()).decode().rstrip("=")
            out.update(refresh_token=f"rt-{self.issued}", scope=form.get("scope", ""), client_info=info,
                       id_token=unsigned_jwt({"preferred_username": "admin@contoso.example", "oid": uid,
                                              "tid": TENANT, "aud": form.get("client_id"),
                                              "iss": f"{self.url}/{TENANT}/v2.0", "exp": int(time.time()) + 3600,
                                              "iat": int(time.time())}))
        return Resp(200, out)
