"""What a backup of collaboration content needs to enumerate: Microsoft 365 groups and teams with
their owners, SharePoint sites from the sites list, and which mailboxes are shared mailboxes.

- Group owners (learn: graph/api/group-list-owners): GroupMember.Read.All and higher; "Owners are
  currently not available in Microsoft Graph for groups ... synchronized from an on-premises
  environment", so a synced group lists none. Teams are groups whose resourceProvisioningOptions
  contain "Team" (learn: graph/teams-list-all-teams; the filter lives on /groups).
- Sites (learn: graph/api/site-list, graph/api/site-getallsites): listing every site collection and
  getAllSites are application-only (Sites.Read.All, Sites.ReadWrite.All). A delegated caller is
  refused with SharePoint's accessDenied code (microsoft-graph-docs issue #5556 shows its body).
- Shared mailboxes (learn: graph/api/resources/mailboxsettings): userPurpose "Differentiates a mailbox
  for a single user from a shared mailbox and equipment mailbox"; read per user from
  /users/{id}/mailboxSettings with MailboxSettings.Read. A user without an Exchange Online mailbox
  answers 404 MailboxNotEnabledForRESTAPI (as callers report it; not on a Microsoft page).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from closegate.emulator.graph_common import Ctx, collection, entity, select_of
from closegate.emulator.odata import GraphFault
from closegate.emulator.records import SiteRecord, UserRecord
from closegate.emulator.shapes import DIRECTORY_OBJECTS, EntityShape, principal_shape
from closegate.emulator.wire import Response

__all__ = ["ROUTES", "has_mailbox"]

OWNERS_R = ("GroupMember.Read.All", "GroupMember.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All",
            "Directory.Read.All", "Directory.ReadWrite.All")
SITES_R = ("Sites.Read.All", "Sites.ReadWrite.All")
MAILBOX_R = ("MailboxSettings.Read", "MailboxSettings.ReadWrite")


def _host(site: SiteRecord) -> str:
    return urlsplit(site.url).hostname or ""


def _name(site: SiteRecord) -> str:
    return site.url.rstrip("/").rsplit("/", 1)[-1]


SITE = EntityShape("microsoft.graph.site", {
    # a site id is "{hostname},{site collection id},{web id}" (learn: graph/api/resources/site)
    "id": lambda s: f"{_host(s)},{s.id},{uuid.uuid5(uuid.UUID(s.id), 'web')}",
    "name": _name,
    "displayName": lambda s: _name(s).replace("-", " ").title(),
    "webUrl": lambda s: s.url,
    "isPersonalSite": lambda s: "-my.sharepoint.com" in _host(s),
    "siteCollection": lambda s: {"hostname": _host(s)},
    "root": lambda s: {},
    "createdDateTime": lambda s: None,
    "lastModifiedDateTime": lambda s: None,
}, ("id", "name", "displayName", "webUrl", "isPersonalSite", "siteCollection", "root", "createdDateTime",
    "lastModifiedDateTime"))


def group_owners(ctx: Ctx) -> Response:
    group = ctx.state.groups.get(ctx.args[0])
    if group is None or group.deleted_at is not None:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist or one of "
                         "its queried reference-property objects are not present.")
    owners = [] if group.sync_enabled else [
        found for oid in group.owner_ids if (found := ctx.state.directory_object(oid))]
    return collection(ctx, name="owners", rows=owners, keep=lambda r: True,
                      build=lambda o, s: principal_shape(o[0], o[1], s), shape=DIRECTORY_OBJECTS,
                      context="directoryObjects")


def _app_only(ctx: Ctx) -> None:
    if ctx.principal.kind == "user":
        raise GraphFault(403, "accessDenied", "The caller does not have permission to perform the action.")


def list_sites(ctx: Ctx) -> Response:
    _app_only(ctx)
    rows = list(ctx.state.sites)
    if ctx.query.search is not None:  # "$search query against the /sites collection" (site-list)
        needle = ctx.query.search.strip('"').lower()
        rows = [s for s in rows if needle in ("*", "") or needle in s.url.lower()]
        ctx.query = replace(ctx.query, search=None)
    return collection(ctx, name="sites", rows=rows, keep=lambda s: True, build=SITE.build, shape=SITE,
                      context="sites")


def get_site(ctx: Ctx) -> Response:
    key = ctx.args[0]
    for site in ctx.state.sites:
        if key in (SITE.props["id"](site), site.id):
            return entity(ctx, "sites/$entity", SITE.build(site, select_of(ctx, SITE)))
    raise GraphFault(404, "itemNotFound", "Requested site could not be found")


def has_mailbox(state: Any, user: UserRecord) -> bool:
    """An Exchange Online mailbox: a licence with an Exchange plan, or a shared/room/equipment mailbox
    (which need no licence)."""
    if user.id in state.records.mailbox_purposes:
        return True
    plans = {name for sku_id in user.licenses if (sku := state.skus.get(sku_id))
             for _, name in sku.service_plans}
    return any(name.startswith("EXCHANGE_S_") for name in plans)


def _mailbox_user(ctx: Ctx) -> UserRecord:
    rec = ctx.state.user_record(ctx.args[0])
    if rec is None or rec.deleted_at is not None:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
    if ctx.principal.kind == "user" and rec.id != ctx.principal.oid:
        raise GraphFault(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    if not has_mailbox(ctx.state, rec):
        raise GraphFault(404, "MailboxNotEnabledForRESTAPI", "REST API is not yet supported for this mailbox.")
    return rec


def _purpose(ctx: Ctx, user: UserRecord) -> str:
    return ctx.state.records.mailbox_purposes.get(user.id, "user")


def mailbox_settings(ctx: Ctx) -> Response:
    user = _mailbox_user(ctx)
    return entity(ctx, f"users('{user.id}')/mailboxSettings", {
        "archiveFolder": None, "timeZone": "UTC", "dateFormat": "M/d/yyyy", "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "userPurpose": _purpose(ctx, user),
    })


def mailbox_user_purpose(ctx: Ctx) -> Response:
    user = _mailbox_user(ctx)
    return entity(ctx, f"users('{user.id}')/mailboxSettings/userPurpose", {"value": _purpose(ctx, user)})


_GUID = r"([0-9a-fA-F-]{36})"
_KEY = r"([^/()]+)"
ROUTES: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    ("GET", rf"groups/{_GUID}/owners", group_owners, OWNERS_R, {}),
    ("GET", "sites", list_sites, SITES_R, {}),
    ("GET", "sites/getAllSites", list_sites, SITES_R, {}),
    ("GET", rf"sites/{_KEY}", get_site, SITES_R, {}),
    ("GET", rf"users/{_KEY}/mailboxSettings", mailbox_settings, MAILBOX_R, {}),
    ("GET", rf"users/{_KEY}/mailboxSettings/userPurpose", mailbox_user_purpose, MAILBOX_R, {}),
)
