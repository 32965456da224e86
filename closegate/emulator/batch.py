"""JSON batching (graph-facts §8.1): up to 20 requests, ids unique case-insensitively, dependsOn with
424 on a failed dependency, each inner request routed, checked and throttled like a direct one,
responses deliberately returned out of order.

`run_batch` answers with a `BatchResponse`: the wire response plus one `BatchItemRecord` per inner
request, so the request log can show what the tenant did with each item without parsing the body again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from closegate.emulator.odata import GraphFault
from closegate.emulator.wire import Request, Response, json_response

__all__ = ["MAX_BATCH", "BatchItemRecord", "BatchResponse", "run_batch"]

MAX_BATCH = 20


@dataclass(frozen=True)
class BatchItemRecord:
    """How one inner request was answered: what the request log needs, and nothing secret.

    The path has no query string (it may carry filters on personal data) and the record keeps no
    headers or body (an inner request may carry its own Authorization header or a password).
    """

    item_id: str
    method: str
    path: str
    status: int
    duration_ms: float
    client_request_id: str  # the item's own client-request-id header, "" when it sent none


@dataclass
class BatchResponse(Response):
    """The $batch answer on the wire, plus its inner requests in the order they were executed."""

    items: tuple[BatchItemRecord, ...] = ()


def _malformed(message: str) -> GraphFault:
    return GraphFault(400, "BadRequest", message)


def _parse(req: Request) -> list[dict[str, Any]]:
    try:
        body = json.loads(req.body.decode("utf-8")) if req.body else None
    except (ValueError, UnicodeDecodeError):
        raise _malformed("Invalid batch payload format.") from None
    items = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise _malformed("Invalid batch payload format.")
    if len(items) > MAX_BATCH:
        raise _malformed(f"Batch request cannot have more than {MAX_BATCH} requests.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("id", "method", "url")):
            raise _malformed("Invalid batch payload format: every request needs id, method and url.")
        key = item["id"].lower()
        if key in seen:
            raise _malformed(f"Batch request contains duplicate id '{item['id']}'.")
        seen.add(key)
        if "body" in item and not isinstance(item.get("headers"), dict):
            raise _malformed(f"Request '{item['id']}': headers with Content-Type are required with a body.")
        deps = item.get("dependsOn", [])
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise _malformed(f"Request '{item['id']}': dependsOn must be a list of ids.")
    deps_of = {i["id"].lower(): [d.lower() for d in i.get("dependsOn", [])] for i in items}
    for item in items:
        for dep in item.get("dependsOn", []):
            if dep.lower() not in deps_of:
                raise _malformed(f"Request '{item['id']}' depends on unknown id '{dep}'.")
    _refuse_cycles(deps_of)
    return items


def _refuse_cycles(deps_of: dict[str, list[str]]) -> None:
    """Graph rejects a cyclic dependsOn before running anything; found late, earlier items would
    already have changed the tenant under a 400 that says nothing ran."""
    done: set[str] = set()

    def visit(key: str, chain: tuple[str, ...]) -> None:
        if key in chain:
            raise _malformed("Batch dependsOn contains a cycle.")
        if key in done:
            return
        for dep in deps_of[key]:
            visit(dep, chain + (key,))
        done.add(key)

    for key in deps_of:
        visit(key, ())


def _item_path(url: str, version: str) -> str:
    """The percent-decoded path an inner request is routed on, as the server decodes a direct one."""
    if "://" in url:  # refused below; urlsplit keeps the netloc (and any user:password in it) out
        return unquote(urlsplit(url).path)
    return "/" + version + "/" + unquote(url.partition("?")[0]).lstrip("/")


def _inner_request(outer: Request, item: dict[str, Any], version: str) -> Request:
    url = item["url"]
    if "://" in url:
        raise GraphFault(400, "BadRequest", "Batch request urls must be relative.")
    query = url.partition("?")[2]
    path = _item_path(url, version)
    headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    headers.setdefault("client-request-id", outer.header("client-request-id"))
    body = item.get("body")
    raw = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    return Request(method=item["method"].upper(), path=path, raw_query=query, headers=headers,
                   body=raw, base_url=outer.base_url)


def _own_request_id(item: dict[str, Any]) -> str:
    headers = item.get("headers")
    if not isinstance(headers, dict):
        return ""
    return next((str(v) for k, v in headers.items() if str(k).lower() == "client-request-id"), "")


def _as_item(item_id: str, response: Response) -> dict[str, Any]:
    headers = {k: v for k, v in response.headers if k.lower() not in ("request-id", "client-request-id")}
    out: dict[str, Any] = {"id": item_id, "status": response.status, "headers": headers}
    if response.body:
        ctype = response.header("Content-Type") or ""
        out["body"] = json.loads(response.body) if "json" in ctype else response.body.decode("utf-8")
    return out


def run_batch(req: Request, run: Callable[[Request], Response],
              error: Callable[[Request, GraphFault], Response]) -> Response:
    """The answer to one $batch: a `BatchResponse` when the payload was valid, else the plain error."""
    version = req.path.lstrip("/").split("/", 1)[0]
    try:
        items = _parse(req)
    except GraphFault as fault:
        return error(req, fault)
    by_id = {i["id"].lower(): i for i in items}
    status: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    records: list[BatchItemRecord] = []

    def execute(item: dict[str, Any]) -> int:
        key = item["id"].lower()
        if key in status:
            return status[key]
        failed = [d for d in item.get("dependsOn", []) if execute(by_id[d.lower()]) >= 400]
        started = time.perf_counter()
        if failed:
            fault = GraphFault(424, "FailedDependency", "Dependent request failed.")
            response = error(req, fault)
        else:
            try:
                inner = _inner_request(req, item, version)
                response = error(inner, _malformed("Nested batch requests are not supported.")) \
                    if inner.path.endswith("/$batch") else run(inner)
            except GraphFault as fault:
                response = error(req, fault)
        status[key] = response.status
        results.append(_as_item(item["id"], response))
        records.append(BatchItemRecord(item_id=item["id"], method=item["method"].upper(),
                                       path=_item_path(item["url"], version), status=response.status,
                                       duration_ms=round((time.perf_counter() - started) * 1000, 3),
                                       client_request_id=_own_request_id(item)))
        return response.status

    for item in items:
        execute(item)
    # Graph returns responses in any order (S27); a stable shuffle keeps clients honest.
    results.sort(key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    answer = json_response(200, {"responses": results})
    return BatchResponse(answer.status, answer.headers, answer.body, items=tuple(records))
