"""The thin, swappable HTTP layer under the Graph client: one pooled requests session per cloud.

Everything above this module sees `HttpResponse` values and `closegate.errors.TransportError`, never
requests' types, so tests can swap the transport and msal can share the session (auth.py passes it
as msal's `http_client`) without importing requests itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from closegate.errors import TransportError

__all__ = ["HttpResponse", "RequestsTransport", "Transport", "new_session", "TRANSPORT_ERRORS"]

# What a session may raise; exported so auth.py can catch network failures from msal's calls.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (requests.RequestException,)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    url: str

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


class Transport(Protocol):
    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        follow_redirects: bool = False,
    ) -> HttpResponse: ...


class _TimeoutSession(requests.Session):
    """A session with a default timeout: msal calls it without one (local-emulation.md P5)."""

    default_timeout: float = 30.0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def new_session(*, pool_size: int, ca_bundle: Path | None = None, timeout: float = 30.0) -> requests.Session:
    """A keep-alive session whose pool holds one connection per worker.

    trust_env is off because REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE silently override `verify`
    (local-emulation.md P1) and proxies from the environment must not see bearer tokens. urllib3's
    own retries are off (max_retries=0): retry.py is the one place that decides what is retried.
    """
    session = _TimeoutSession()
    session.default_timeout = timeout
    session.trust_env = False
    session.verify = str(ca_bundle) if ca_bundle is not None else True
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(1, pool_size), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class RequestsTransport:
    """Sends one request; turns every requests failure into TransportError without echoing the URL's query."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
        follow_redirects: bool = False,
    ) -> HttpResponse:
        try:
            resp = self.session.request(
                method, url, headers=dict(headers), data=body, timeout=timeout,
                allow_redirects=follow_redirects,
            )
            content = resp.content
        except requests.Timeout as exc:
            raise TransportError(f"no answer from {_where(url)} within {timeout:g} s",
                                 "check connectivity; raise graph.timeout_seconds if the link is slow") from exc
        except requests.exceptions.SSLError as exc:
            raise TransportError(f"TLS to {_where(url)} failed ({type(exc).__name__})",
                                 "check the CA bundle ([cloud] ca_bundle) or a TLS-inspecting proxy") from exc
        except requests.RequestException as exc:
            raise TransportError(f"connection to {_where(url)} failed ({type(exc).__name__})",
                                 "check network connectivity and retry") from exc
        return HttpResponse(
            status=resp.status_code,
            headers={k.lower(): v for k, v in resp.headers.items()},
            body=content,
            url=resp.url,
        )


def _where(url: str) -> str:
    # Only scheme, host and path: report-download URLs carry a pre-authenticated query string.
    return url.split("?", 1)[0]
