"""Graph-shaped dictionaries built from records, one page at a time.

Each entity has a property table (name -> getter) whose names all exist on the CSDL type
(tests/emulator/test_csdl_conformance.py proves it) and the default set Graph returns without
$select (graph-facts §2.1 for users). $select is judged against the CSDL type, not the table
(closegate.emulator.csdl): a real property the table does not model comes back empty. Nothing
here is stored: shapes are built per response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from closegate.emulator import csdl
from closegate.emulator.clock import format_time
from closegate.emulator.records import (
    AppRecord,
    CaPolicy,
    GroupRecord,
    ServicePrincipalRecord,
    UserRecord,
)

__all__ = ["DIRECTORY_OBJECTS", "DirectoryObjectsShape", "EntityShape", "SHAPES", "principal_shape",
           "user_shape"]

Getter = Callable[[Any], Any]


class EntityShape:
    """A Graph type's emitted properties and its default selection."""

    def __init__(self, type_name: str, props: Mapping[str, Getter], default: tuple[str, ...] | None = None):
        self.type_name = type_name  # e.g. "microsoft.graph.user"
        self.props = dict(props)
        self.default = default or tuple(props)

    def unknown(self, select: tuple[str, ...], version: str) -> str | None:
        """The first selected name the type does not have (Graph's 400), or None.

        Types the metadata snapshot lacks (beta B2C types) are judged by the modelled table.
        """
        real = csdl.type_properties(version, self.type_name)
        known = real if real is not None else self.props
        return next((name for name in select if name not in known and name not in self.props), None)

    def getter(self, name: str) -> Getter:
        """The modelled getter, or the property's natural empty value for one not modelled."""
        found = self.props.get(name)
        if found is not None:
            return found
        empty = csdl.empty_value(self.type_name, name)
        return (lambda rec: []) if isinstance(empty, list) else (lambda rec: None)

    def build(self, rec: Any, select: tuple[str, ...] | None) -> dict[str, Any]:
        names = select if select else self.default
        props = self.props
        return {name: props[name](rec) if name in props else self.getter(name)(rec) for name in names}

    def build_own(self, rec: Any, select: tuple[str, ...]) -> dict[str, Any]:
        """In a directoryObject collection: only the selected properties this item's type has."""
        return self.build(rec, tuple(n for n in select if n in self.props
                                     or csdl.has_property(self.type_name, n)))


class DirectoryObjectsShape:
    """$select over a directoryObject collection: any property of directoryObject or a derived
    type is accepted (csdl module docstring); each item then keeps what its own type has."""

    type_name = csdl.DIRECTORY_OBJECT

    def __init__(self, cast: EntityShape | None = None) -> None:
        self.cast = cast  # an OData cast segment narrows the collection to one type

    def unknown(self, select: tuple[str, ...], version: str) -> str | None:
        if self.cast is not None:
            return self.cast.unknown(select, version)
        known = csdl.directory_object_properties(version)
        return next((name for name in select if name not in known), None)


USER = EntityShape(
    "microsoft.graph.user",
    {
        "id": lambda u: u.id,
        "businessPhones": lambda u: [],
        "displayName": lambda u: u.display_name,
        "givenName": lambda u: u.given_name,
        "jobTitle": lambda u: u.job_title,
        "mail": lambda u: u.mail,
        "mobilePhone": lambda u: None,
        "officeLocation": lambda u: None,
        "preferredLanguage": lambda u: None,
        "surname": lambda u: u.surname,
        "userPrincipalName": lambda u: u.user_principal_name,
        "accountEnabled": lambda u: u.account_enabled,
        "userType": lambda u: u.user_type,
        "onPremisesSyncEnabled": lambda u: u.sync_enabled,
        "onPremisesImmutableId": lambda u: u.immutable_id,
        "createdDateTime": lambda u: format_time(u.created),
        "deletedDateTime": lambda u: format_time(u.deleted_at),
        "department": lambda u: u.department,
        "usageLocation": lambda u: u.usage_location,
        "creationType": lambda u: "Invitation" if u.user_type == "Guest" else None,
        "externalUserState": lambda u: "Accepted" if u.user_type == "Guest" else None,
        # assignedLicense (CSDL S7): {disabledPlans, skuId}; no plan is disabled in the emulator
        "assignedLicenses": lambda u: [{"disabledPlans": [], "skuId": sku} for sku in u.licenses],
    },
    # graph-facts §2.1: the properties returned without $select
    ("businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
     "officeLocation", "preferredLanguage", "surname", "userPrincipalName"),
)

GROUP = EntityShape(
    "microsoft.graph.group",
    {
        "id": lambda g: g.id,
        "displayName": lambda g: g.display_name,
        "description": lambda g: g.description,
        "createdDateTime": lambda g: format_time(g.created),
        "deletedDateTime": lambda g: format_time(g.deleted_at),
        "groupTypes": lambda g: list(g.group_types),
        "isAssignableToRole": lambda g: g.is_assignable_to_role,
        "mailEnabled": lambda g: g.mail_enabled,
        "mailNickname": lambda g: g.mail_nickname,
        "securityEnabled": lambda g: g.security_enabled,
        "onPremisesSyncEnabled": lambda g: g.sync_enabled,
        "visibility": lambda g: None,
        # learn: graph/teams-list-all-teams: a group with a team has "Team" here
        "resourceProvisioningOptions": lambda g: list(g.provisioning_options),
    },
)

APPLICATION = EntityShape(
    "microsoft.graph.application",
    {
        "id": lambda a: a.id,
        "appId": lambda a: a.app_id,
        "displayName": lambda a: a.display_name,
        "createdDateTime": lambda a: format_time(a.created),
        "deletedDateTime": lambda a: format_time(a.deleted_at),
        "signInAudience": lambda a: a.sign_in_audience,
        "publisherDomain": lambda a: a.publisher_domain,
        "identifierUris": lambda a: [],
        "tags": lambda a: [],
    },
)

SERVICE_PRINCIPAL = EntityShape(
    "microsoft.graph.servicePrincipal",
    {
        "id": lambda s: s.id,
        "appId": lambda s: s.app_id,
        "displayName": lambda s: s.display_name,
        "appDisplayName": lambda s: s.display_name,
        "accountEnabled": lambda s: s.account_enabled,
        "appOwnerOrganizationId": lambda s: s.app_owner_organization_id,
        "servicePrincipalType": lambda s: s.service_principal_type,
        "servicePrincipalNames": lambda s: [s.app_id],
        "deletedDateTime": lambda s: format_time(s.deleted_at),
        "tags": lambda s: list(s.tags),
        "alternativeNames": lambda s: list(s.alternative_names),
    },
)

CA_POLICY = EntityShape(
    "microsoft.graph.conditionalAccessPolicy",
    {
        "id": lambda p: p.id,
        "displayName": lambda p: p.display_name,
        "state": lambda p: p.state,
        "createdDateTime": lambda p: format_time(p.created),
        "modifiedDateTime": lambda p: format_time(p.modified),
        "templateId": lambda p: None,
        "conditions": lambda p: _ca_conditions(p),
        "grantControls": lambda p: {
            "operator": "OR",
            "builtInControls": list(p.built_in_controls),
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            **({"authenticationStrength": dict(p.authentication_strength)}
               if p.authentication_strength else {}),
        },
        "sessionControls": lambda p: None,
    },
)


def _ca_conditions(p: CaPolicy) -> dict[str, Any]:
    return {
        "clientAppTypes": ["all"],
        "signInRiskLevels": [],
        "userRiskLevels": [],
        "users": {
            "includeUsers": list(p.include_users), "excludeUsers": list(p.exclude_users),
            "includeGroups": [], "excludeGroups": [],
            "includeRoles": list(p.include_roles), "excludeRoles": [],
        },
        "applications": {
            "includeApplications": list(p.include_applications), "excludeApplications": [],
            "includeUserActions": [],
        },
    }


SHAPES: dict[str, EntityShape] = {
    "user": USER,
    "group": GROUP,
    "application": APPLICATION,
    "servicePrincipal": SERVICE_PRINCIPAL,
    "conditionalAccessPolicy": CA_POLICY,
}


def user_shape(rec: UserRecord, select: tuple[str, ...] | None) -> dict[str, Any]:
    return USER.build(rec, select)


def principal_shape(kind: str, rec: UserRecord | GroupRecord | ServicePrincipalRecord | AppRecord,
                    select: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A directoryObject in a polymorphic position ($expand=principal, members) with @odata.type."""
    shape = SHAPES[kind]
    body = shape.build_own(rec, select) if select else shape.build(rec, _PRINCIPAL_DEFAULTS[kind])
    return {"@odata.type": f"#{shape.type_name}", **body}


DIRECTORY_OBJECTS = DirectoryObjectsShape()


_PRINCIPAL_DEFAULTS: dict[str, tuple[str, ...]] = {
    "user": ("id", "displayName", "userPrincipalName", "accountEnabled", "userType"),
    "group": ("id", "displayName", "isAssignableToRole", "securityEnabled"),
    "servicePrincipal": ("id", "appId", "displayName", "accountEnabled", "appOwnerOrganizationId"),
    "application": ("id", "appId", "displayName"),
}
