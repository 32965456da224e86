"""OData query options as Graph's directory service applies them: $select, $filter, $top, $count,
$expand and opaque $skiptoken paging (graph-facts §2.1, paging rules from S19).

$filter understands eq/ne/in, startswith/endswith, not/and/or, lambda `any` over a collection
property (`groupTypes/any(c:c eq 'Unified')`, learn: graph/api/group-list), and ge/gt/le/lt on the
properties an endpoint declares ordered, with DateTimeOffset literals (`activityDateTime ge
2025-01-01T00:00:00Z`, learn: graph/api/directoryaudit-list "$filter (eq, ge, le, startswith)").

`GraphFault` is how a handler says "answer with this Graph error"; the router turns it into the
documented error body (graph-facts §8.4).
"""

from __future__ import annotations

import base64
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

__all__ = ["GraphFault", "Query", "compile_filter", "next_link", "parse_query", "take_page"]

T = TypeVar("T")
Predicate = Callable[[Any], bool]


class GraphFault(Exception):
    """An error answer: HTTP status, Graph error code and message, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or []


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphFault:
    return GraphFault(400, code, message)


@dataclass(frozen=True)
class Query:
    select: tuple[str, ...] | None = None
    filter: str | None = None
    top: int | None = None
    count: bool = False
    expand: tuple[str, ...] = ()
    search: str | None = None
    orderby: str | None = None
    skiptoken: str | None = None
    pairs: tuple[tuple[str, str], ...] = ()  # the raw options, in order, for building nextLinks


def parse_query(raw_query: str, max_top: int) -> Query:
    pairs = tuple(parse_qsl(raw_query, keep_blank_values=True))
    opts = {k.lower(): v for k, v in pairs}
    top = None
    if "$top" in opts:
        try:
            top = int(opts["$top"])
        except ValueError:
            raise bad_request(f"Invalid page size specified: '{opts['$top']}'.",
                              "Request_UnsupportedQuery") from None
        if not 1 <= top <= max_top:
            raise bad_request(f"Invalid page size specified: '{top}'. Must be between 1 and "
                              f"{max_top} inclusive.", "Request_UnsupportedQuery")
    select = tuple(s.strip() for s in opts["$select"].split(",") if s.strip()) if "$select" in opts else None
    expand = tuple(s.strip() for s in opts.get("$expand", "").split(",") if s.strip())
    count = opts.get("$count", "").lower() == "true"
    return Query(select=select or None, filter=opts.get("$filter") or None, top=top, count=count,
                 expand=expand, search=opts.get("$search"), orderby=opts.get("$orderby"),
                 skiptoken=opts.get("$skiptoken"), pairs=pairs)


# ------------------------------------------------------------------------------------ paging
def encode_token(collection: str, position: int) -> str:
    raw = json.dumps({"c": collection, "p": position}, separators=(",", ":")).encode()
    return "RFNwdAIAAQAAA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, collection: str) -> int:
    try:
        body = token.removeprefix("RFNwdAIAAQAAA")
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if data["c"] != collection:
            raise ValueError(collection)
        return int(data["p"])
    except (ValueError, KeyError, TypeError):
        raise bad_request("Invalid skip token.", "Request_BadRequest") from None


def take_page(items: Sequence[T], *, start: int, top: int, keep: Predicate,
              position: Callable[[T], int]) -> tuple[list[T], int | None]:
    """Up to `top` kept items from position `start`; the position to resume from, if any remain."""
    i = bisect_left(items, start, key=position)
    out: list[T] = []
    while i < len(items):
        item = items[i]
        i += 1
        if keep(item):
            if len(out) == top:
                return out, position(item)
            out.append(item)
    return out, None


def next_link(base_url: str, path: str, query: Query, token: str) -> str:
    """An absolute nextLink carrying the original options (not the headers, S19) plus $skiptoken."""
    pairs = [(k, v) for k, v in query.pairs if k.lower() != "$skiptoken"] + [("$skiptoken", token)]
    encoded = urlencode(pairs, quote_via=quote, safe="$,'()*:@/")
    return f"{base_url}{quote(path, safe='/$()=,')}?{encoded}"


# ------------------------------------------------------------------------------------ $filter
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _syntax(text, pos)
        out.append(m.group("str") or m.group("punct") or m.group("word"))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _syntax(text: str, pos: int) -> GraphFault:
    return GraphFault(400, "BadRequest", f"Invalid filter clause: Syntax error at position {pos} in '{text}'.")


@dataclass
class CompiledFilter:
    predicate: Predicate
    advanced: str | None  # the property that needs an advanced query (ne, not, endswith; S18)


def compile_filter(text: str, props: Mapping[str, Callable[[Any], Any]], resource: str,
                   ordered: Collection[str] = ()) -> CompiledFilter:
    """`ordered` names the properties that accept ge/gt/le/lt; every other one refuses them."""
    parser = _Parser(_tokens(text), text, props, resource, frozenset(ordered))
    pred = parser.expression()
    if parser.i != len(parser.toks):
        raise _syntax(text, parser.i)
    return CompiledFilter(pred, parser.advanced)


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "ge": lambda a, b: a >= b, "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b, "lt": lambda a, b: a < b,
}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")


def _ordered_compare(op: str, value: Any, literal: Any) -> bool:
    """A None property never matches a range (OData null semantics); mismatched types never do."""
    if value is None or literal is None:
        return False
    try:
        return _ORDER[op](value, literal)
    except TypeError:
        return False


class _Parser:
    """or := and ('or' and)*; and := unary ('and' unary)*; unary := 'not' unary | atom."""

    def __init__(self, toks: list[str], text: str, props: Mapping[str, Callable[[Any], Any]], resource: str,
                 ordered: frozenset[str] = frozenset()):
        self.toks, self.text, self.props, self.resource = toks, text, props, resource
        self.ordered = ordered
        self.i = 0
        self.advanced: str | None = None
        self.last_prop = ""

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok.lower() != expected):
            raise _syntax(self.text, self.i)
        self.i += 1
        return tok

    def expression(self) -> Predicate:
        left = self.conjunction()
        while (self.peek() or "").lower() == "or":
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.unary()
        while (self.peek() or "").lower() == "and":
            self.take()
            right = self.unary()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def unary(self) -> Predicate:
        if (self.peek() or "").lower() == "not":
            self.take()
            inner = self.unary()
            self.advanced = self.advanced or self.last_prop
            return lambda r: not inner(r)
        return self.atom()

    def atom(self) -> Predicate:
        tok = self.take()
        if tok == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if tok.lower() in ("startswith", "endswith"):
            func = tok.lower()
            self.take("(")
            get = self.prop(self.take())
            self.take(",")
            lit = self.literal()
            self.take(")")
            if not isinstance(lit, str):
                raise _syntax(self.text, self.i)
            needle = lit.lower()
            if func == "endswith":
                self.advanced = self.advanced or self.last_prop
                return lambda r: isinstance(v := get(r), str) and v.lower().endswith(needle)
            return lambda r: isinstance(v := get(r), str) and v.lower().startswith(needle)
        if tok.lower().endswith("/any"):
            return self.lambda_any(tok[:-4])
        get = self.prop(tok)
        op = self.take().lower()
        if op in _ORDER:
            if tok not in self.ordered:
                raise self.unsupported(tok)
            bound = self.literal()
            return lambda r: _ordered_compare(op, get(r), bound)
        if op == "in":
            self.take("(")
            values = {_fold(self.literal())}
            while self.peek() == ",":
                self.take()
                values.add(_fold(self.literal()))
            self.take(")")
            return lambda r: _fold(get(r)) in values
        if op not in ("eq", "ne"):
            raise self.unsupported(tok)
        value = _fold(self.literal())
        if op == "ne":
            self.advanced = self.advanced or tok
            return lambda r: _fold(get(r)) != value
        return lambda r: _fold(get(r)) == value

    def lambda_any(self, name: str) -> Predicate:
        """`prop/any(x:x eq 'value')`: some element of the collection property equals the value."""
        get = self.prop(name)
        self.take("(")
        var, sep, used = self.take().partition(":")
        if not sep or used != var:
            raise _syntax(self.text, self.i)
        self.take("eq")
        value = _fold(self.literal())
        self.take(")")
        return lambda r: any(_fold(v) == value for v in (get(r) or ()))

    def unsupported(self, name: str) -> GraphFault:
        return GraphFault(400, "Request_UnsupportedQuery",
                          f"Unsupported or invalid query filter clause specified for property "
                          f"'{name}' of resource '{self.resource}'.")

    def prop(self, name: str) -> Callable[[Any], Any]:
        self.last_prop = name
        getter = self.props.get(name)
        if getter is None:
            raise self.unsupported(name)
        return getter

    def literal(self) -> Any:
        tok = self.take()
        if tok.startswith("'"):
            return tok[1:-1].replace("''", "'")
        low = tok.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        if _DATETIME.fullmatch(tok):
            value = datetime.fromisoformat(tok.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        if re.fullmatch(r"[0-9a-fA-F-]{36}", tok):
            return tok
        raise _syntax(self.text, self.i)
