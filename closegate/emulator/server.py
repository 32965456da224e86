"""The emulator's HTTPS server: stdlib, threaded, keep-alive, and hard for one client to stall.

Configured against the pitfalls measured in local-emulation.md §5: HTTP/1.1 keep-alive and an
explicit Content-Length on every answer (P4), Nagle off and headers+body in one write (P2), and the
TLS handshake moved off the accept loop into the connection's own thread (P3), so a client that
connects and never speaks cannot block anyone else. Stopping closes open keep-alive connections
too, so no handler thread outlives the server.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote

from closegate.emulator.app import Dispatch
from closegate.emulator.wire import Request, Response

__all__ = ["EmulatorServer"]

IDLE_TIMEOUT = 120.0  # seconds a silent connection (or a stalled handshake) may hold its thread
MAX_BODY = 64 * 1024 * 1024


class Dispatcher(Protocol):
    def dispatch(self, req: Request, peer: str) -> Dispatch: ...


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._write(Response(411, [("Content-Type", "text/plain")], b"Content-Length required"), close=True)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(Response(413, [("Content-Type", "text/plain")], b"request body too large"), close=True)
            return
        body = self.rfile.read(length) if length else b""
        raw_path, _, raw_query = self.path.partition("?")
        req = Request(method=self.command, path=unquote(raw_path), raw_query=raw_query,
                      headers={k.lower(): v for k, v in self.headers.items()}, body=body,
                      base_url=self.server.base_url)
        outcome = self.server.app.dispatch(req, self.client_address[0])
        if outcome.response is None:
            self._reset()
            return
        self._write(outcome.response, close=outcome.close)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _write(self, response: Response, *, close: bool) -> None:
        if close:
            self.close_connection = True
        head = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
        head += [f"{k}: {v}" for k, v in response.headers if k.lower() not in ("content-length", "connection")]
        head.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            head.append("Connection: close")
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            payload += response.body
        self.wfile.write(payload)  # one write: one TLS record, no Nagle stall (P2)

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response, as a failing load balancer does."""
        self.close_connection = True
        raw = self.connection
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()  # the fd really closes when rfile lets go, in finish(): an RST, no FIN
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """The request log lives in the app; stderr stays quiet (an unread pipe would block, P12)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, host: str, port: int, app: Dispatcher, context: ssl.SSLContext) -> None:
        super().__init__((host, port), _Handler)
        self.app = app
        self._context = context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.base_url = f"https://{host if ':' not in host else f'[{host}]'}:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = self.socket.accept()
        # Handshake later, on the connection's own thread (P3).
        return self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._open_lock:
            (self._open.add if add else self._open.discard)(conn)

    def close_all(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that vanishes mid-request is normal traffic, not a server error."""


class EmulatorServer:
    """Owns the listening socket and the accept thread."""

    def __init__(self, app: Dispatcher, *, cert_path: Path, key_path: Path, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(cert_path), str(key_path))
        self._server = _Server(host, port, app, context)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"closegate-emulator:{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_all()
        self._server.server_close()
