"""The directory objects a tenant holds, stored compactly so generated:100000 fits in little memory.

Records are the emulator's own mutable rows (slotted dataclasses, one per object); the Graph-shaped
dictionaries clients see are built from them per page by `shapes`, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "AppRecord",
    "AzureSubscription",
    "CaPolicy",
    "Eligibility",
    "GroupRecord",
    "RoleAssignment",
    "ServicePrincipalRecord",
    "SiteRecord",
    "SkuRecord",
    "SubscriptionRecord",
    "UserRecord",
]


@dataclass(slots=True, eq=False)
class UserRecord:
    seq: int  # listing order; skip tokens resume from it
    id: str
    user_principal_name: str
    display_name: str
    user_type: str  # "Member" | "Guest"
    account_enabled: bool
    sync_enabled: bool | None  # onPremisesSyncEnabled: True synced, False was synced, None never
    created: datetime
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    job_title: str | None = None
    department: str | None = None
    usage_location: str | None = None
    per_user_mfa: str = "disabled"  # graph-facts §5.1: disabled | enabled | enforced
    methods: tuple[str, ...] = ()  # registered authentication methods (userRegistrationDetails)
    mailbox_bytes: int = 0
    mailbox_items: int = 0
    onedrive_bytes: int = 0
    onedrive_files: int = 0
    last_activity: datetime | None = None
    immutable_id: str | None = None
    licenses: tuple[str, ...] = ()  # skuIds assigned to the user (assignedLicenses, graph-facts §4.1)
    deleted_at: datetime | None = None


@dataclass(slots=True, eq=False)
class GroupRecord:
    id: str
    display_name: str
    created: datetime
    is_assignable_to_role: bool = False
    security_enabled: bool = True
    mail_enabled: bool = False
    group_types: tuple[str, ...] = ()
    mail_nickname: str = ""
    description: str | None = None
    sync_enabled: bool | None = None
    member_ids: list[str] = field(default_factory=list)
    deleted_at: datetime | None = None
    owner_ids: list[str] = field(default_factory=list)  # users (learn: graph/api/group-list-owners)
    provisioning_options: tuple[str, ...] = ()  # resourceProvisioningOptions: ("Team",) for a team


@dataclass(slots=True, eq=False)
class RoleAssignment:
    id: str
    role_definition_id: str  # the role template id (built-in roles use it as definition id)
    principal_id: str
    directory_scope_id: str = "/"


@dataclass(slots=True, eq=False)
class Eligibility:
    id: str
    role_definition_id: str
    principal_id: str
    start: datetime
    end: datetime | None = None
    directory_scope_id: str = "/"


@dataclass(slots=True, eq=False)
class AppRecord:
    id: str
    app_id: str
    display_name: str
    created: datetime
    sign_in_audience: str = "AzureADMyOrg"
    publisher_domain: str | None = None
    owner_ids: tuple[str, ...] = ()  # users or service principals (application-list-owners)
    deleted_at: datetime | None = None


@dataclass(slots=True, eq=False)
class ServicePrincipalRecord:
    id: str
    app_id: str
    display_name: str
    account_enabled: bool = True
    app_owner_organization_id: str | None = None
    service_principal_type: str = "Application"
    deletable: bool = True  # Microsoft first-party service principals refuse deletion
    tags: tuple[str, ...] = ()
    owner_ids: tuple[str, ...] = ()  # owners of the enterprise app, apart from its application's
    deleted_at: datetime | None = None
    alternative_names: tuple[str, ...] = ()  # managed identities: ("isExplicit=...", the resource id)
    delete_after: tuple[str, ...] = ()  # appIds that must be deleted before this one can be (first_party)
    blocks_deletion_while_enabled: bool = False  # refuses deletion and blocks the tenant delete until disabled


@dataclass(slots=True, eq=False)
class SkuRecord:
    sku_id: str
    sku_part_number: str
    service_plans: tuple[tuple[str, str], ...]  # (servicePlanId, servicePlanName)
    consumed_units: int = 0
    applies_to: str = "User"


@dataclass(slots=True, eq=False)
class SubscriptionRecord:
    id: str
    commerce_subscription_id: str
    sku_id: str
    status: str  # graph-facts §4.1: Enabled | Warning | Suspended | LockedOut | Deleted
    total_licenses: int
    created: datetime
    next_lifecycle: datetime | None
    is_trial: bool = False
    auto_renew: bool = True
    owner_tenant_id: str | None = None
    deprovision_at: datetime | None = None  # set once explicitly deleted (S1: 72 h later)
    billing: str = "direct"  # closegate.emulator.commerce: direct (MOSA) | mca | csp
    kind: str = "paid"  # paid | trial | free | selfService
    term_start: datetime | None = None  # purchase or last renewal (MCA's 7-day cancel window)


@dataclass(slots=True, eq=False)
class AzureSubscription:
    subscription_id: str
    display_name: str
    state: str  # graph-facts §4.4: Enabled | Warned | PastDue | Disabled | Deleted
    quota_id: str = "PayAsYouGo_2014-09-01"
    spending_limit: str = "Off"
    canceled_at: datetime | None = None
    billing_account: str | None = None  # the Microsoft.Billing account its invoices go to
    final_invoice_issued: bool = False  # the last invoice after cancellation (azure_rules)


@dataclass(slots=True, eq=False)
class CaPolicy:
    id: str
    display_name: str
    state: str  # enabled | disabled | enabledForReportingButNotEnforced
    created: datetime
    modified: datetime | None
    built_in_controls: tuple[str, ...] = ()
    authentication_strength: dict[str, object] | None = None
    include_users: tuple[str, ...] = ("All",)
    exclude_users: tuple[str, ...] = ()
    include_roles: tuple[str, ...] = ()
    include_applications: tuple[str, ...] = ("All",)


@dataclass(slots=True, eq=False)
class SiteRecord:
    id: str
    url: str
    owner_display_name: str
    owner_principal_name: str
    storage_bytes: int
    file_count: int
    root_web_template: str = "Team Site"
