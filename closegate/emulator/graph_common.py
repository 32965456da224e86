"""What every Graph handler shares: the request context, entity and collection responses.

Collections apply $select/$filter/$top/$count and ConsistencyLevel rules the way the directory
service does (graph-facts §2.1, S19) so each handler only says which rows exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from closegate.emulator.odata import (
    GraphFault,
    Query,
    bad_request,
    compile_filter,
    decode_token,
    encode_token,
    next_link,
    take_page,
)
from closegate.emulator.shapes import DirectoryObjectsShape, EntityShape
from closegate.emulator.state import TenantState
from closegate.emulator.throttle import Limits
from closegate.emulator.wire import Principal, Request, Response, json_response

if TYPE_CHECKING:
    from closegate.emulator.reports import ReportDownloads

__all__ = ["Ctx", "collection", "entity", "no_content", "require_eventual", "select_of"]

T = TypeVar("T")


@dataclass
class Ctx:
    req: Request
    principal: Principal
    state: TenantState
    version: str  # "v1.0" | "beta"
    resource: str  # the path after the version, e.g. "users/{id}"
    args: tuple[str, ...]  # the route's captured segments
    query: Query
    limits: Limits
    downloads: ReportDownloads
    now: datetime  # simulated tenant time

    def context(self, fragment: str) -> str:
        return f"{self.req.base_url}/{self.version}/$metadata#{fragment}"

    @property
    def eventual(self) -> bool:
        return self.req.header("consistencylevel").lower() == "eventual"

    def body(self) -> dict[str, Any]:
        try:
            data = self.req.json()
        except ValueError:
            raise bad_request("Invalid JSON in the request body.", "BadRequest") from None
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object.", "BadRequest")
        return data


def no_content() -> Response:
    return Response(204, [], b"")


def select_of(ctx: Ctx, shape: EntityShape | DirectoryObjectsShape) -> tuple[str, ...] | None:
    """The validated $select: any property of the CSDL type is accepted (closegate.emulator.csdl)."""
    select = ctx.query.select
    if select:
        missing = shape.unknown(select, ctx.version)
        if missing is not None:
            raise GraphFault(400, "BadRequest", "Parsing OData Select and Expand failed: Could not "
                             f"find a property named '{missing}' on type '{shape.type_name}'.")
    return select


def require_eventual(ctx: Ctx) -> None:
    """S18: $count needs ConsistencyLevel: eventual; the header is not carried to next pages (S19)."""
    if ctx.query.count and not ctx.eventual:
        raise bad_request("$count is not currently supported.")


def entity(ctx: Ctx, context: str, body: dict[str, Any], status: int = 200) -> Response:
    return json_response(status, {"@odata.context": ctx.context(context), **body})


def collection(
    ctx: Ctx,
    *,
    name: str,
    rows: Sequence[T],
    keep: Callable[[T], bool],
    build: Callable[[T, tuple[str, ...] | None], dict[str, Any]],
    shape: EntityShape | DirectoryObjectsShape,
    filter_props: Mapping[str, Callable[[T], Any]] | None = None,
    resource_label: str = "",
    position: Callable[[T], int] | None = None,
    context: str | None = None,
    max_top: int | None = None,
    pageable: bool = True,
    ordered: tuple[str, ...] = (),
    default_top: int | None = None,
) -> Response:
    """One page of a collection, with @odata.count on the first page and an opaque nextLink.

    `ordered` names the filter properties that accept ge/gt/le/lt (their getters return datetimes
    or numbers); `default_top` is the page size without $top where the endpoint documents its own.
    """
    q = ctx.query
    select = select_of(ctx, shape)
    predicate = keep
    if q.filter:
        if filter_props is None:
            raise GraphFault(400, "Request_UnsupportedQuery",
                             f"The query specified in the URI is not valid. $filter is not supported on "
                             f"'{resource_label or name}'.")
        compiled = compile_filter(q.filter, filter_props, resource_label or name, ordered)
        if compiled.advanced and not (ctx.eventual and q.count):
            raise GraphFault(400, "Request_UnsupportedQuery",
                             f"Unsupported or invalid query filter clause specified for property "
                             f"'{compiled.advanced}' of resource '{resource_label or name}'.")
        predicate = (lambda a, b: lambda r: a(r) and b(r))(keep, compiled.predicate)
    require_eventual(ctx)
    if q.search is not None and not ctx.eventual:
        raise GraphFault(400, "Request_UnsupportedQuery",
                         "Request with $search query parameter only works through MSGraph with a "
                         "special request header: 'ConsistencyLevel: eventual'")
    if position is None:  # small collections page by index in the current snapshot
        indexed: list[Any] = list(enumerate(rows))
        rows, keep_row, build_row = indexed, predicate, build

        def predicate(pair: Any) -> bool:
            return bool(keep_row(pair[1]))

        def build(pair: Any, select: tuple[str, ...] | None) -> dict[str, Any]:
            return build_row(pair[1], select)

        def position(pair: Any) -> Any:
            return pair[0]
    top = q.top or default_top or ctx.limits.default_page_size
    if max_top is not None:
        top = min(top, max_top)
    if not pageable:
        top = max(len(rows), 1)
    start = decode_token(q.skiptoken, name) if q.skiptoken else 0
    page, resume = take_page(rows, start=start, top=top, keep=predicate, position=position)
    fragment = context or name
    if select:
        fragment += "(" + ",".join(select) + ")"
    body: dict[str, Any] = {"@odata.context": ctx.context(fragment)}
    if q.count and not q.skiptoken:
        body["@odata.count"] = sum(1 for r in rows if predicate(r))
    if resume is not None:
        body["@odata.nextLink"] = next_link(ctx.req.base_url, ctx.req.path, q, encode_token(name, resume))
    body["value"] = [build(r, select) for r in page]
    return json_response(200, body)
