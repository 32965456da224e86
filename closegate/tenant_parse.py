"""Reading Graph payloads into typed values, where a wrong shape becomes MalformedResponse.

Kept apart from tenant.py: this is the part that changes when Graph's payloads do (CSV columns,
OData types, date formats), not when the set of facts does. Every payload-to-record conversion of
the facade is here; tenant.py only says what to request.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from closegate import facts as f
from closegate.errors import MalformedResponse

__all__ = [
    "application", "as_bool", "as_datetime", "as_int", "as_list", "as_str", "azure_subscription",
    "company_subscription", "deleted_item", "domain", "group", "organization", "parse_conditional_access",
    "parse_usage_csv", "per_user_mfa", "principal_kind", "registration_detail", "report_settings",
    "role_assignment", "security_defaults", "service_principal", "subscribed_sku", "usage_rows", "user", "via_group",
]

_MISSING = object()


def _bad(what: str, key: str, problem: str) -> MalformedResponse:
    return MalformedResponse(f"a {what} from Graph has {problem} '{key}'",
                             "report this response; closegate cannot decide without it")


def as_str(obj: Any, key: str, what: str, default: Any = _MISSING) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if default is _MISSING:
            raise _bad(what, key, "no")
        return str(default)
    if not isinstance(value, str):
        raise _bad(what, key, "a non-text")
    return value


def as_bool(obj: Any, key: str, what: str, default: Any = _MISSING) -> Any:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if default is _MISSING:
            raise _bad(what, key, "no")
        return default
    if not isinstance(value, bool):
        raise _bad(what, key, "a non-boolean")
    return value


def as_int(obj: Any, key: str) -> int:
    value = obj.get(key, 0) if isinstance(obj, dict) else 0
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("record", key, "a non-integer")
    return value


def as_list(obj: Any, key: str, what: str) -> list[Any]:
    """A collection property; absent or null reads as empty (Graph's value for no items)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(what, key, "a non-list")
    return value


def as_datetime(obj: Any, key: str, what: str) -> datetime | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(what, key, "a non-text")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(what, key, "an unreadable timestamp in") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def principal_kind(obj: dict[str, Any]) -> str:
    """"user" | "group" | "servicePrincipal" from a directoryObject's @odata.type."""
    odata = str(obj.get("@odata.type") or "")
    kind = odata.rsplit(".", 1)[-1]
    if kind not in {"user", "group", "servicePrincipal", "device", "orgContact"}:
        raise MalformedResponse(f"a directory object has an unknown @odata.type {odata!r}", "report this response")
    return kind


def parse_conditional_access(p: dict[str, Any]) -> f.ConditionalAccessPolicy:
    grant = p.get("grantControls") or {}
    if not isinstance(grant, dict):
        raise _bad("conditional access policy", "grantControls", "a malformed")
    strength = grant.get("authenticationStrength")
    # An MFA demand can come from an authentication strength as well as from "mfa" (graph-facts §5.3).
    label = None
    if isinstance(strength, dict):
        label = str(strength.get("displayName") or strength.get("id") or "authentication strength")
    return f.ConditionalAccessPolicy(
        id=as_str(p, "id", "conditional access policy"),
        display_name=as_str(p, "displayName", "conditional access policy", ""),
        state=as_str(p, "state", "conditional access policy"),
        requires_mfa="mfa" in (grant.get("builtInControls") or ()),
        authentication_strength=label,
    )


# report -> (principal name, display name, site URL or None, item count) columns (graph-facts §1.1).
_COLUMNS = {
    "mailbox": ("User Principal Name", "Display Name", None, "Item Count"),
    "onedrive": ("Owner Principal Name", "Owner Display Name", "Site URL", "File Count"),
    "sharepoint": ("Owner Principal Name", "Owner Display Name", "Site URL", "File Count"),
}


def parse_usage_csv(report: str, body: bytes) -> tuple[f.UsageRow, ...]:
    """Rows of a usage-report CSV, read by header name: Microsoft's samples disagree on column order."""
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig", errors="replace")))
    _require_columns(report, reader.fieldnames or ())
    return usage_rows(report, reader)


def usage_rows(report: str, lines: Iterable[Mapping[str, str | None]]) -> tuple[f.UsageRow, ...]:
    """Usage rows from a report's lines keyed by column name (a CSV read live, or a backup's records)."""
    owner, display, site, count = _COLUMNS[report]
    rows = []
    for line in lines:
        _require_columns(report, tuple(line))
        rows.append(f.UsageRow(
            report=report, owner_principal_name=line[owner] or "", owner_display_name=line[display] or "",
            site_url=(line[site] or None) if site else None, storage_bytes=_number(line["Storage Used (Byte)"]),
            item_count=_number(line[count]), is_deleted=(line["Is Deleted"] or "").strip().lower() == "true",
            last_activity=line.get("Last Activity Date") or None))
    return tuple(rows)


def _require_columns(report: str, columns: Sequence[str]) -> None:
    owner, display, site, count = _COLUMNS[report]
    needed = [c for c in (owner, display, site, count, "Storage Used (Byte)", "Is Deleted") if c]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise MalformedResponse(f"the {report} usage report lacks the column(s) {', '.join(missing)}",
                                "report this; the CSV format may have changed")


def _number(text: str | None) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    try:
        return int(float(text))
    except ValueError as exc:
        raise MalformedResponse(f"a usage report holds the non-number {text[:20]!r}", "report this") from exc


# -- records ---------------------------------------------------------------------------------------


def organization(o: dict[str, Any]) -> f.Organization:
    domains = o.get("verifiedDomains") or []
    default = next((d.get("name") for d in domains if isinstance(d, dict) and d.get("isDefault")), None)
    return f.Organization(
        id=as_str(o, "id", "organization"), display_name=as_str(o, "displayName", "organization", ""),
        primary_domain=str(default or ""),
        on_premises_sync_enabled=as_bool(o, "onPremisesSyncEnabled", "organization", None),
        on_premises_last_sync=as_datetime(o, "onPremisesLastSyncDateTime", "organization"),
        partner_tenant_type=o.get("partnerTenantType"), tenant_type=o.get("tenantType"),
        verified_domains=tuple(str(d.get("name")) for d in domains if isinstance(d, dict) and d.get("name")))


def user(u: dict[str, Any]) -> f.User:
    return f.User(
        id=as_str(u, "id", "user"), user_principal_name=as_str(u, "userPrincipalName", "user"),
        display_name=str(u.get("displayName") or ""), user_type=str(u.get("userType") or "Member"),
        account_enabled=bool(u.get("accountEnabled", True)),
        on_premises_sync_enabled=bool(u.get("onPremisesSyncEnabled")),  # None: never synced (facts.User)
        created=as_datetime(u, "createdDateTime", "user"),
        license_count=len(as_list(u, "assignedLicenses", "user")))


def group(g: dict[str, Any], member_ids: tuple[str, ...]) -> f.Group:
    return f.Group(id=as_str(g, "id", "group"), display_name=as_str(g, "displayName", "group", ""),
                   is_assignable_to_role=bool(g.get("isAssignableToRole")), member_ids=member_ids)


def role_assignment(row: dict[str, Any], kind: str) -> f.RoleAssignment:
    """An assignment (or eligibility instance) with its expanded principal."""
    principal = row.get("principal")
    if not isinstance(principal, dict):
        raise MalformedResponse("a role assignment came back without its expanded principal", "report this")
    ptype = principal_kind(principal)
    return f.RoleAssignment(
        id=as_str(row, "id", "role assignment"),
        role_definition_id=as_str(row, "roleDefinitionId", "role assignment"),
        principal_id=as_str(row, "principalId", "role assignment"), principal_type=ptype,
        principal_display_name=str(principal.get("displayName") or ""), kind=kind,
        principal_user_type=principal.get("userType") if ptype == "user" else None,
        directory_scope_id=str(row.get("directoryScopeId") or "/"))


def via_group(base: f.RoleAssignment, member: dict[str, Any]) -> f.RoleAssignment:
    """The assignment a member of a role-assignable group holds through it."""
    return f.RoleAssignment(
        id=f"{base.id}:{member['id']}", role_definition_id=base.role_definition_id,
        principal_id=as_str(member, "id", "group member"), principal_type=principal_kind(member),
        principal_display_name=str(member.get("displayName") or ""), kind=base.kind,
        via_group_id=base.principal_id, principal_user_type=member.get("userType"),
        directory_scope_id=base.directory_scope_id)


def subscribed_sku(s: dict[str, Any]) -> f.SubscribedSku:
    units = s.get("prepaidUnits") or {}
    return f.SubscribedSku(
        sku_id=as_str(s, "skuId", "subscribed SKU"), sku_part_number=as_str(s, "skuPartNumber", "subscribed SKU", ""),
        capability_status=as_str(s, "capabilityStatus", "subscribed SKU", ""),
        enabled_units=as_int(units, "enabled"), warning_units=as_int(units, "warning"),
        suspended_units=as_int(units, "suspended"), locked_out_units=as_int(units, "lockedOut"),
        consumed_units=as_int(s, "consumedUnits"),
        subscription_ids=tuple(str(x) for x in s.get("subscriptionIds") or ()),
        service_plans=tuple(str(p.get("servicePlanName")) for p in as_list(s, "servicePlans", "subscribed SKU")
                            if isinstance(p, dict) and p.get("servicePlanName")))


def company_subscription(s: dict[str, Any]) -> f.CompanySubscription:
    return f.CompanySubscription(
        id=as_str(s, "id", "subscription"), sku_id=as_str(s, "skuId", "subscription", ""),
        sku_part_number=as_str(s, "skuPartNumber", "subscription", ""), status=as_str(s, "status", "subscription"),
        is_trial=bool(s.get("isTrial")), created=as_datetime(s, "createdDateTime", "subscription"),
        next_lifecycle=as_datetime(s, "nextLifecycleDateTime", "subscription"),
        owner_tenant_id=s.get("ownerTenantId"), total_licenses=as_int(s, "totalLicenses"))


def per_user_mfa(user_id: str, body: Any) -> f.PerUserMfa:
    state = body.get("perUserMfaState") if isinstance(body, dict) else None
    if not isinstance(state, str):
        raise MalformedResponse("an authentication/requirements answer has no perUserMfaState", "report this")
    return f.PerUserMfa(user_id=user_id, state=state)


def security_defaults(body: Any) -> f.SecurityDefaults:
    return f.SecurityDefaults(is_enabled=as_bool(body, "isEnabled", "security defaults"))


def registration_detail(r: dict[str, Any]) -> f.RegistrationDetail:
    return f.RegistrationDetail(
        user_id=as_str(r, "id", "registration detail"), user_principal_name=str(r.get("userPrincipalName") or ""),
        is_mfa_registered=bool(r.get("isMfaRegistered")),
        methods_registered=tuple(str(m) for m in r.get("methodsRegistered") or ()))


def application(a: dict[str, Any]) -> f.Application:
    return f.Application(id=as_str(a, "id", "application"), app_id=as_str(a, "appId", "application"),
                         display_name=str(a.get("displayName") or ""),
                         created=as_datetime(a, "createdDateTime", "application"))


def service_principal(s: dict[str, Any]) -> f.ServicePrincipal:
    return f.ServicePrincipal(
        id=as_str(s, "id", "service principal"), app_id=as_str(s, "appId", "service principal"),
        display_name=str(s.get("displayName") or ""), account_enabled=bool(s.get("accountEnabled", True)),
        app_owner_organization_id=s.get("appOwnerOrganizationId"), service_principal_type=s.get("servicePrincipalType"))


def domain(d: dict[str, Any]) -> f.Domain:
    return f.Domain(id=as_str(d, "id", "domain"), is_default=bool(d.get("isDefault")),
                    is_initial=bool(d.get("isInitial")), is_verified=bool(d.get("isVerified")))


def azure_subscription(s: dict[str, Any]) -> f.AzureSubscription:
    return f.AzureSubscription(
        subscription_id=as_str(s, "subscriptionId", "Azure subscription"), display_name=str(s.get("displayName") or ""),
        state=as_str(s, "state", "Azure subscription"), quota_id=(s.get("subscriptionPolicies") or {}).get("quotaId"))


def deleted_item(d: dict[str, Any], kind: str) -> f.DeletedItem:
    return f.DeletedItem(id=as_str(d, "id", "deleted item"), kind=kind, display_name=str(d.get("displayName") or ""),
                         deleted=as_datetime(d, "deletedDateTime", "deleted item"),
                         user_principal_name=d.get("userPrincipalName"))


def report_settings(body: Any) -> f.ReportSettings:
    return f.ReportSettings(display_concealed_names=as_bool(body, "displayConcealedNames", "report settings"))
