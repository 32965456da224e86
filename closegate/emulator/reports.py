"""Microsoft 365 usage reports (graph-facts §1.1): a 302 to a short-lived, pre-authenticated CSV.

The CSV lives at DOWNLOAD_PREFIX on the same server and needs no Authorization header, like the
real download host; the server routes that prefix to `ReportDownloads.serve` without a token.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from closegate.emulator.graph_common import Ctx
from closegate.emulator.odata import GraphFault
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Request, Response

__all__ = ["DOWNLOAD_PREFIX", "MAILBOX_COLUMNS", "ONEDRIVE_COLUMNS", "ReportDownloads",
           "SHAREPOINT_COLUMNS", "usage_report"]

DOWNLOAD_PREFIX = "/_reportdownload/"
PERIODS = {"D7": 7, "D30": 30, "D90": 90, "D180": 180}

# graph-facts §1.1 (S16): exact header names
ONEDRIVE_COLUMNS = ("Report Refresh Date", "Site URL", "Owner Display Name", "Is Deleted",
                    "Last Activity Date", "File Count", "Active File Count", "Storage Used (Byte)",
                    "Storage Allocated (Byte)", "Owner Principal Name", "Report Period")
MAILBOX_COLUMNS = ("Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted",
                   "Deleted Date", "Created Date", "Last Activity Date", "Item Count",
                   "Storage Used (Byte)", "Issue Warning Quota (Byte)", "Prohibit Send Quota (Byte)",
                   "Prohibit Send/Receive Quota (Byte)", "Deleted Item Count", "Deleted Item Size (Byte)",
                   "Deleted Item Quota (Byte)", "Has Archive", "Report Period")
SHAREPOINT_COLUMNS = ("Report Refresh Date", "Site Id", "Site URL", "Owner Display Name", "Is Deleted",
                      "Last Activity Date", "File Count", "Active File Count", "Page View Count",
                      "Visited Page Count", "Storage Used (Byte)", "Storage Allocated (Byte)",
                      "Root Web Template", "Owner Principal Name", "Report Period")

_MAILBOX_QUOTAS = (49_392_123_904, 51_539_607_552, 53_687_091_200)  # 46, 48, 50 GiB (Exchange defaults)
_ONEDRIVE_ALLOCATED = 1_099_511_627_776  # 1 TiB default OneDrive quota
_LIFETIME_SECONDS = 300.0  # "valid for a few minutes"


class ReportDownloads:
    """Short-lived CSV documents addressed by an unguessable token."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._docs: dict[str, tuple[float, bytes, str]] = {}

    def publish(self, body: bytes) -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        now = self.monotonic()
        with self._lock:
            self._docs = {k: v for k, v in self._docs.items() if v[0] > now}
            self._docs[token] = (now + _LIFETIME_SECONDS, body, etag)
        return token, etag

    def serve(self, req: Request) -> Response:
        token = req.path[len(DOWNLOAD_PREFIX):] if req.path.startswith(DOWNLOAD_PREFIX) else ""
        with self._lock:
            doc = self._docs.get(token)
        if doc is None or doc[0] <= self.monotonic():
            return Response(404, [("Content-Type", "text/plain")], b"The report link has expired.")
        return Response(200, [("Content-Type", "application/octet-stream"), ("ETag", doc[2]),
                              ("Content-Disposition", "attachment; filename=report.csv")], doc[1])


def _conceal(state: TenantState, value: str) -> str:
    """displayConcealedNames=true: identifiers become stable opaque hex, as in the admin center."""
    return hashlib.sha256((state.tenant_id + value).encode()).hexdigest()[:32].upper()


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _rows(ctx: Ctx, report: str, days: int) -> tuple[tuple[str, ...], list[list[Any]]]:
    state, now = ctx.state, ctx.now
    refresh = _day(now - timedelta(days=2))
    hide = state.display_concealed_names
    name = (lambda v: _conceal(state, v)) if hide else (lambda v: v)
    since = now - timedelta(days=days)
    users = [u for u in state.user_list if u.deleted_at is None or u.deleted_at >= since]
    if report == "getMailboxUsageDetail":
        rows = [[refresh, name(u.user_principal_name), name(u.display_name), u.deleted_at is not None,
                 _day(u.deleted_at), _day(u.created), _day(u.last_activity), u.mailbox_items,
                 u.mailbox_bytes, *_MAILBOX_QUOTAS, 0, 0, 32_212_254_720, False, days]
                for u in users if u.mail]
        return MAILBOX_COLUMNS, rows
    if report == "getOneDriveUsageAccountDetail":
        host = state.primary_domain.split(".")[0]
        rows = [[refresh, f"https://{host}-my.sharepoint.com/personal/"
                 + u.user_principal_name.replace("@", "_").replace(".", "_"),
                 name(u.display_name), u.deleted_at is not None, _day(u.last_activity), u.onedrive_files,
                 u.onedrive_files // 3, u.onedrive_bytes, _ONEDRIVE_ALLOCATED, name(u.user_principal_name), days]
                for u in users if u.onedrive_bytes > 0]
        return ONEDRIVE_COLUMNS, rows
    rows = [[refresh, s.id, s.url, name(s.owner_display_name), False, refresh, s.file_count,
             s.file_count // 4, s.file_count * 3, s.file_count, s.storage_bytes, 27_487_790_694_400,
             s.root_web_template, name(s.owner_principal_name), days] for s in state.sites]
    return SHAREPOINT_COLUMNS, rows


def usage_report(ctx: Ctx) -> Response:
    report, kind, raw = ctx.args
    value = raw.strip("'")
    if kind == "period":
        if value not in PERIODS:
            raise GraphFault(400, "BadRequest", f"Invalid value '{value}' for parameter 'period'. "
                             "Supported values are D7, D30, D90 and D180.")
        days = PERIODS[value]
    else:
        if report == "getMailboxUsageDetail":
            raise GraphFault(400, "BadRequest", "The parameter 'date' is not supported by this report.")
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            raise GraphFault(400, "BadRequest", f"Invalid value '{value}' for parameter 'date'.") from None
        if not 0 <= (ctx.now.date() - day).days <= 30:  # §1.1: date covers the last 30 days only
            raise GraphFault(400, "BadRequest", "The date must be within the last 30 days.")
        days = 1
    columns, rows = _rows(ctx, report, days)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    body = ("\ufeff" + out.getvalue()).encode("utf-8")  # the real download starts with a BOM
    token, etag = ctx.downloads.publish(body)
    if ctx.req.header("if-none-match") == etag:
        return Response(304, [("ETag", etag)], b"")
    location = f"{ctx.req.base_url}{DOWNLOAD_PREFIX}{token}"
    return Response(302, [("Location", location), ("ETag", etag)], b"")
