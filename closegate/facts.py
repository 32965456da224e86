"""The typed, read-only facts that checks see: what the tenant facade returns, nothing more.

Records carry only the fields closegate uses (each is fetched with `$select`). They are frozen
dataclasses so a check cannot change what another check will read. `TenantReader` is the seam
between the checks and Microsoft Graph: checks depend on this Protocol, `closegate.tenant.Tenant`
implements it over Graph, and tests may implement it over fixtures.

Each thing closegate reads is declared once below as a `Fact` (its record type, what it is, and the
permissions reading it needs); checks read facts through `TenantReader.read`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from closegate.azure_facts import (
    AzureResource,
    AzureResources,
    AzureVisibility,
    BillingAccount,
    DomainService,
    DomainServices,
    Invoice,
)
from closegate.facts_records import (
    AutopilotDevice,
    BitLockerKeyInfo,
    Device,
    EdiscoveryCase,
    Listing,
    ManagedDevice,
    RecordedCases,
    RetentionEvent,
    RetentionLabel,
)

T = TypeVar("T")

__all__ = [
    "GLOBAL_ADMINISTRATOR",
    "B2C_ONLY",
    "B2C_TENANT_TYPE",
    "BILLING_ADMINISTRATOR",
    "MICROSOFT_FIRST_PARTY_TENANTS",
    "Application",
    "AzureResource",
    "AzureResources",
    "AzureSubscription",
    "AzureVisibility",
    "BillingAccount",
    "Backup",
    "Caller",
    "CompanySubscription",
    "ConditionalAccessPolicy",
    "ContentAttestation",
    "DeletedItem",
    "Domain",
    "DomainService",
    "DomainServices",
    "Eligibilities",
    "Group",
    "Invoice",
    "NotLicensed",
    "Organization",
    "PerUserMfa",
    "RegistrationDetail",
    "RegistrationDetails",
    "ReportSettings",
    "B2CInventory",
    "RoleAssignment",
    "SecurityDefaults",
    "ServicePrincipal",
    "SubscribedSku",
    "TenantReader",
    "Fact",
    "ALL_FACTS",
    "fact_named",
    "ORGANIZATION", "CALLER", "USERS", "GROUPS", "GLOBAL_ADMINS", "GLOBAL_ADMIN_ELIGIBILITIES", "ROLE_ASSIGNMENTS",
    "SUBSCRIBED_SKUS", "AZURE_VISIBILITY", "AZURE_RESOURCES", "DOMAIN_SERVICES", "BILLING_ACCOUNTS",
    "COMPANY_SUBSCRIPTIONS", "PER_USER_MFA", "SECURITY_DEFAULTS", "CONDITIONAL_ACCESS_POLICIES",
    "REGISTRATION_DETAILS", "APPLICATIONS", "SERVICE_PRINCIPALS", "DOMAINS", "AZURE_SUBSCRIPTIONS",
    "USAGE_MAILBOX", "USAGE_ONEDRIVE", "USAGE_SHAREPOINT", "USAGE_REPORTS", "DELETED", "REPORT_SETTINGS", "DELETED_USERS",
    "DELETED_APPLICATIONS", "DELETED_SERVICE_PRINCIPALS", "B2C_INVENTORY", "BACKUP",
    "EDISCOVERY_CASES", "RECORDED_CASES", "RETENTION_LABELS", "RETENTION_EVENTS", "DEVICES", "MANAGED_DEVICES",
    "AUTOPILOT_DEVICES", "BITLOCKER_KEYS", "EDISCOVERY_PREMIUM_PLANS", "INTUNE_PLANS", "USABLE_SKU_STATES",
    "UsageRow",
    "User",
]

# graph-facts §4.1 (S10): Enabled is normal use and Warning is still usable in its grace period.
USABLE_SKU_STATES = frozenset({"Enabled", "Warning"})
# Service plan names (MicrosoftDocs/entra-docs docs/identity/users/licensing-service-plan-reference.md
# @067a0c7b, "Product names and service plan identifiers for licensing"): EQUIVIO_ANALYTICS is
# "Office 365 Advanced eDiscovery", i.e. eDiscovery (Premium), in Microsoft 365 E5 and E5 Compliance;
# INTUNE_A is Microsoft Intune Plan 1.
EDISCOVERY_PREMIUM_PLANS = frozenset({"EQUIVIO_ANALYTICS"})
INTUNE_PLANS = frozenset({"INTUNE_A"})

# Role template ids (graph-facts §2.2, Entra permissions reference).
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
BILLING_ADMINISTRATOR = "b0f54661-2d74-4c50-afa3-1ec803f12efe"

# appOwnerOrganizationId of Microsoft's own service principals. A community convention, not a
# documented rule (graph-facts §6): used only to label SPs that may refuse deletion.
MICROSOFT_FIRST_PARTY_TENANTS = frozenset(
    {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}
)


@dataclass(frozen=True)
class Organization:
    id: str
    display_name: str
    primary_domain: str
    on_premises_sync_enabled: bool | None
    on_premises_last_sync: datetime | None
    partner_tenant_type: str | None
    tenant_type: str | None  # "AAD", "AAD B2C", ...
    verified_domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)  # a million of them in the largest tenants: no per-object __dict__
class User:
    id: str
    user_principal_name: str
    display_name: str
    user_type: str  # "Member" | "Guest"
    account_enabled: bool
    on_premises_sync_enabled: bool  # None in Graph is normalised to False (never synced)
    created: datetime | None = None
    license_count: int = 0

    @property
    def is_guest(self) -> bool:
        return self.user_type == "Guest"


@dataclass(frozen=True)
class Group:
    id: str
    display_name: str
    is_assignable_to_role: bool
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleAssignment:
    """One holder of a directory role, active or PIM-eligible.

    Assignments to a role-assignable group are expanded: one record per member, with `via_group_id`
    set, plus the record for the group itself (principal_type "group").
    """

    id: str
    role_definition_id: str
    principal_id: str
    principal_type: str  # "user" | "group" | "servicePrincipal"
    principal_display_name: str
    kind: str  # "active" | "eligible"
    via_group_id: str | None = None
    principal_user_type: str | None = None  # "Member" | "Guest" for users
    directory_scope_id: str = "/"


@dataclass(frozen=True)
class NotLicensed:
    """Graph refused a read because the tenant lacks the licence the feature needs (graph-facts §12.1).

    Not an error: it is an answer about the tenant. `meaning` says what it implies for the closure
    ("no eligible assignments are possible: the tenant has no P2 licence"); evidence quotes `reason`.
    """

    feature: str  # what could not be read, e.g. "PIM eligible assignments"
    licence: str  # what the feature needs, e.g. "Microsoft Entra ID P2 or Microsoft Entra ID Governance"
    status: int
    code: str  # Graph's error code, e.g. AadPremiumLicenseRequired
    meaning: str

    @property
    def reason(self) -> str:
        return f"{self.meaning} (Graph answered {self.status} {self.code} to the {self.feature} read)"


@dataclass(frozen=True)
class Eligibilities:
    """PIM-eligible holders of a role, groups expanded. Without P2 or ID Governance Graph refuses the read,
    and the tenant can hold none (eligible assignments are removed when the licence lapses, Learn
    "Microsoft Entra licensing", https://learn.microsoft.com/entra/fundamentals/licensing): then
    `assignments` is empty and `not_licensed` says why, as evidence."""

    assignments: tuple[RoleAssignment, ...] = ()
    not_licensed: NotLicensed | None = None


@dataclass(frozen=True)
class Caller:
    """Who closegate is signed in as, and what it may do."""

    kind: str  # "user" | "app"
    object_id: str  # user object id, or the app's service principal object id
    display_name: str
    user_principal_name: str | None  # users only
    app_id: str  # the client id used to sign in
    role_template_ids: frozenset[str]  # active directory roles (transitive)
    permissions: frozenset[str]  # Graph permissions granted in the token (roles or scp)
    arm_access: bool | None = None  # None: not determined
    user_type: str | None = None
    on_premises_sync_enabled: bool = False

    @property
    def is_global_admin(self) -> bool:
        return GLOBAL_ADMINISTRATOR in self.role_template_ids


@dataclass(frozen=True)
class SubscribedSku:
    sku_id: str
    sku_part_number: str
    capability_status: str  # Enabled | Warning | Suspended | LockedOut | Deleted
    enabled_units: int
    warning_units: int
    suspended_units: int
    locked_out_units: int
    consumed_units: int
    subscription_ids: tuple[str, ...] = ()
    service_plans: tuple[str, ...] = ()  # servicePlanName of each plan the SKU carries

    @property
    def usable(self) -> bool:
        return self.capability_status in USABLE_SKU_STATES



@dataclass(frozen=True)
class CompanySubscription:
    id: str
    sku_id: str
    sku_part_number: str
    status: str  # Enabled | Warning | Suspended | LockedOut | Deleted
    is_trial: bool
    created: datetime | None
    next_lifecycle: datetime | None
    owner_tenant_id: str | None  # set when a partner (CSP) created it
    total_licenses: int


@dataclass(frozen=True)
class PerUserMfa:
    user_id: str
    state: str  # disabled | enabled | enforced


@dataclass(frozen=True)
class SecurityDefaults:
    is_enabled: bool


@dataclass(frozen=True)
class ConditionalAccessPolicy:
    id: str
    display_name: str
    state: str  # enabled | disabled | enabledForReportingButNotEnforced
    requires_mfa: bool  # "mfa" in grantControls.builtInControls
    authentication_strength: str | None  # display name or id of a required authentication strength

    @property
    def demands_mfa(self) -> bool:
        return self.requires_mfa or self.authentication_strength is not None


@dataclass(frozen=True)
class RegistrationDetail:
    user_id: str
    user_principal_name: str
    is_mfa_registered: bool
    methods_registered: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegistrationDetails:
    """Each user's registered authentication methods, or why the tenant cannot report them: without a
    premium licence Graph answers 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant (graph-facts
    §12.1). `not_licensed` set means "unknown", never "nobody registered"."""

    details: tuple[RegistrationDetail, ...] = ()
    not_licensed: NotLicensed | None = None


@dataclass(frozen=True)
class Application:
    id: str
    app_id: str
    display_name: str
    created: datetime | None = None


@dataclass(frozen=True)
class ServicePrincipal:
    id: str
    app_id: str
    display_name: str
    account_enabled: bool
    app_owner_organization_id: str | None
    service_principal_type: str | None  # Application | ManagedIdentity | Legacy | SocialIdp

    @property
    def is_microsoft_first_party(self) -> bool:
        return self.app_owner_organization_id in MICROSOFT_FIRST_PARTY_TENANTS


@dataclass(frozen=True)
class Domain:
    id: str
    is_default: bool
    is_initial: bool
    is_verified: bool


@dataclass(frozen=True)
class AzureSubscription:
    subscription_id: str
    display_name: str
    state: str  # Enabled | Warned | PastDue | Disabled | Deleted
    quota_id: str | None = None  # e.g. FreeTrial_2014-09-01, PayAsYouGo_2014-09-01


@dataclass(frozen=True)
class UsageRow:
    """One row of a Microsoft 365 usage report: how much content an owner or site holds."""

    report: str  # "mailbox" | "onedrive" | "sharepoint"
    owner_principal_name: str
    owner_display_name: str
    site_url: str | None
    storage_bytes: int
    item_count: int
    is_deleted: bool
    last_activity: str | None = None


@dataclass(frozen=True)
class DeletedItem:
    id: str
    kind: str  # "user" | "application" | "servicePrincipal" | "group"
    display_name: str
    deleted: datetime | None
    user_principal_name: str | None = None


@dataclass(frozen=True)
class ReportSettings:
    display_concealed_names: bool


@dataclass(frozen=True)
class B2CInventory:
    """What an Azure AD B2C directory must be emptied of before deletion (graph-facts §6, S36)."""

    user_flows: tuple[str, ...]
    identity_providers: tuple[str, ...]
    policy_keysets: tuple[str, ...]
    custom_policies: tuple[str, ...]


@dataclass(frozen=True)
class ContentAttestation:
    """A person's record of where mailbox/OneDrive/SharePoint content was backed up (closegate copies none).

    `scope` is "" (all content), a report ("mailbox", "onedrive", "sharepoint"), or one owner or site
    of a report ("mailbox:alice@contoso.com", "sharepoint:https://contoso.sharepoint.com/sites/x").
    """

    scope: str
    tool: str
    location: str
    taken: datetime  # when the content backup was made
    by: str
    expires: datetime | None = None


@dataclass(frozen=True)
class Backup:
    """The newest backup closegate took (recorded by the backup feature, read by CG-002)."""

    taken: datetime
    location: str
    items: int
    bytes: int
    verified: bool
    max_age: timedelta  # [backup] max_age_days: older than this, it no longer counts
    tenant_id: str = ""
    problems: tuple[str, ...] = ()  # why it did not verify, one line each
    user_ids: frozenset[str] = frozenset()  # every user and group the backup holds (coverage)
    group_ids: frozenset[str] = frozenset()
    unavailable: tuple[str, ...] = ()  # parts the tenant would not give, with the cause
    content_attestations: tuple[ContentAttestation, ...] = ()
    # [backup] public_key, when configured: the backup counts only if its manifest is signed and the
    # signature verifies with that key. "" means no signature is required (none is checked).
    signature_key: str = ""
    signed: bool = False  # manifest.json.sig is present (only looked at when signature_key is set)
    signature_valid: bool = False  # it verifies with signature_key
    device_ids: frozenset[str] = frozenset()  # every Entra device the backup holds (coverage)
    bitlocker_key_ids: frozenset[str] = frozenset()  # recovery keys it holds, encrypted to `recipient`
    recipient: str = ""  # the age recipient the backup's secret material is encrypted to


@dataclass(frozen=True, eq=False)
class Fact(Generic[T]):
    """One thing closegate reads from a tenant, declared once.

    A check names the facts it reads (`@check(reads=(USERS, ...))`) and reads them with
    `tenant.read(USERS)`; the runner prefetches what the checks name, the permission model folds each
    fact's permissions into the needs of the checks that read it, and test fakes answer any fact
    (`empty` unless a test gives a value). How the facade reads a fact from Graph is written once, in
    closegate.tenant, beside the other reads; payloads become records in closegate.tenant_parse.
    Facts compare by identity: each is a module constant.
    """

    name: str
    about: str
    permissions: tuple[str, ...] = ()  # "graph:<permission>" or "arm:<action>", least privileged
    conditional_permissions: tuple[tuple[str, str], ...] = ()  # (permission, when it is needed)
    empty: Any = ()  # what a tenant without such objects answers (and what a fake answers by default)

    def __repr__(self) -> str:
        return f"Fact({self.name})"


B2C_ONLY = "B2C tenants only"  # the condition of a need that only an Azure AD B2C directory has
B2C_TENANT_TYPE = "AAD B2C"  # organization.tenantType of an Azure AD B2C directory (graph-facts §6, S36)

_ACTIVE_READ = ("graph:RoleManagement.Read.Directory", "graph:GroupMember.Read.All")
_ELIGIBLE_READ = ("graph:RoleEligibilitySchedule.Read.Directory", "graph:GroupMember.Read.All")

ORGANIZATION: Fact[Organization] = Fact(
    "organization", "the tenant's organization object", ("graph:Organization.Read.All",), empty=None)
CALLER: Fact[Caller] = Fact(
    "caller", "who closegate is signed in as, and its roles and granted permissions", empty=None)
# The caller is read before any check; if it cannot be read every check is ERROR naming why, so its
# reads (the token, /me or the app's service principal) are not preflighted per check.
USERS: Fact[tuple[User, ...]] = Fact("users", "every user of the directory", ("graph:User.Read.All",))
GROUPS: Fact[tuple[Group, ...]] = Fact(
    "groups", "every group, with the members of role-assignable groups", ("graph:GroupMember.Read.All",))
# Active and eligible holders are separate facts: the eligibility read needs P2 (graph-facts §12.1),
# and a tenant without it must not lose the active holders every closure check needs.
GLOBAL_ADMINS: Fact[tuple[RoleAssignment, ...]] = Fact(
    "global_admins", "active holders of Global Administrator, groups expanded (kind \"active\")", _ACTIVE_READ)
GLOBAL_ADMIN_ELIGIBILITIES: Fact[Eligibilities] = Fact(
    "global_admin_eligibilities", "PIM-eligible holders of Global Administrator, groups expanded; none "
    "possible without P2", _ELIGIBLE_READ, empty=Eligibilities())
ROLE_ASSIGNMENTS: Fact[tuple[RoleAssignment, ...]] = Fact(
    "role_assignments", "active holders of every directory role, groups expanded", _ACTIVE_READ)
SUBSCRIBED_SKUS: Fact[tuple[SubscribedSku, ...]] = Fact(
    "subscribed_skus", "the licence SKUs the tenant has (subscribedSkus)", ("graph:Organization.Read.All",))
COMPANY_SUBSCRIPTIONS: Fact[tuple[CompanySubscription, ...]] = Fact(
    "company_subscriptions", "the commerce subscriptions (directory/subscriptions)", ("graph:Organization.Read.All",))
PER_USER_MFA: Fact[tuple[PerUserMfa, ...]] = Fact(
    "per_user_mfa", "the per-user MFA state of every user (beta)", ("graph:Policy.Read.All", "graph:User.Read.All"))
SECURITY_DEFAULTS: Fact[SecurityDefaults] = Fact(
    "security_defaults", "whether security defaults are on", ("graph:Policy.Read.All",), empty=SecurityDefaults(False))
CONDITIONAL_ACCESS_POLICIES: Fact[tuple[ConditionalAccessPolicy, ...]] = Fact(
    "conditional_access_policies", "every Conditional Access policy", ("graph:Policy.Read.All",))
REGISTRATION_DETAILS: Fact[RegistrationDetails] = Fact(
    "registration_details", "each user's registered authentication methods; not reported without a premium "
    "licence", ("graph:AuditLog.Read.All",), empty=RegistrationDetails())
APPLICATIONS: Fact[tuple[Application, ...]] = Fact(
    "applications", "every app registration", ("graph:Application.Read.All",))
SERVICE_PRINCIPALS: Fact[tuple[ServicePrincipal, ...]] = Fact(
    "service_principals", "every service principal (enterprise application)", ("graph:Application.Read.All",))
DOMAINS: Fact[tuple[Domain, ...]] = Fact("domains", "the tenant's domains", ("graph:Domain.Read.All",))
AZURE_SUBSCRIPTIONS: Fact[tuple[AzureSubscription, ...]] = Fact(
    "azure_subscriptions", "the Azure subscriptions the caller can see (ARM)",
    ("arm:Microsoft.Resources/subscriptions/read",))
AZURE_VISIBILITY: Fact[AzureVisibility] = Fact(
    "azure_visibility", "whether the caller's Azure role assignments prove it sees every subscription",
    ("arm:Microsoft.Authorization/roleAssignments/read",),
    empty=AzureVisibility(False, "nothing proves the caller sees every subscription"))
AZURE_RESOURCES: Fact[AzureResources] = Fact(
    "azure_resources", "the resources of every visible Azure subscription (Marketplace SaaS, managed identities)",
    ("arm:Microsoft.Resources/subscriptions/resources/read",), empty=AzureResources())
DOMAIN_SERVICES: Fact[DomainServices] = Fact(
    "domain_services", "Microsoft Entra Domain Services managed domains in the visible subscriptions",
    ("arm:Microsoft.AAD/domainServices/read",), empty=DomainServices())
# Optional: without a billing role the caller sees no account and CG-015 asks for an attestation.
BILLING_ACCOUNTS: Fact[tuple[BillingAccount, ...]] = Fact(
    "billing_accounts", "the billing accounts the caller holds a billing role on, with their invoices",
    conditional_permissions=tuple((p, "to read invoices instead of attesting") for p in (
        "arm:Microsoft.Billing/billingAccounts/read", "arm:Microsoft.Billing/billingAccounts/invoices/read")))
USAGE_MAILBOX: Fact[tuple[UsageRow, ...]] = Fact(
    "usage_mailbox", "the mailbox usage report (D7)", ("graph:Reports.Read.All",))
USAGE_ONEDRIVE: Fact[tuple[UsageRow, ...]] = Fact(
    "usage_onedrive", "the OneDrive usage report (D7)", ("graph:Reports.Read.All",))
USAGE_SHAREPOINT: Fact[tuple[UsageRow, ...]] = Fact(
    "usage_sharepoint", "the SharePoint site usage report (D7)", ("graph:Reports.Read.All",))
REPORT_SETTINGS: Fact[ReportSettings] = Fact(
    "report_settings", "whether usage reports conceal names", ("graph:ReportSettings.Read.All",),
    empty=ReportSettings(False))
DELETED_USERS: Fact[tuple[DeletedItem, ...]] = Fact(
    "deleted_users", "soft-deleted users (recycle bin)", ("graph:User.Read.All",))
DELETED_APPLICATIONS: Fact[tuple[DeletedItem, ...]] = Fact(
    "deleted_applications", "soft-deleted app registrations (recycle bin)", ("graph:Application.Read.All",))
DELETED_SERVICE_PRINCIPALS: Fact[tuple[DeletedItem, ...]] = Fact(
    "deleted_service_principals", "soft-deleted service principals (recycle bin)", ("graph:Application.Read.All",))
B2C_INVENTORY: Fact[B2CInventory] = Fact(
    "b2c_inventory", "user flows, identity providers, policy keys and custom policies (B2C tenants only)",
    ("graph:Organization.Read.All",),
    conditional_permissions=tuple((p, B2C_ONLY) for p in (
        "graph:IdentityUserFlow.Read.All", "graph:IdentityProvider.Read.All", "graph:TrustFrameworkKeySet.Read.All",
        "graph:Policy.Read.All")),
    empty=B2CInventory((), (), (), ()))
BACKUP: Fact[Backup | None] = Fact(
    "backup", "the newest backup closegate took, re-verified (None: none was finished yet)", empty=None)

# Records, holds and devices (issue 14). A reader that meets a documented licence refusal returns a
# Listing with the refusal instead of raising, so the check can say what was not visible and why.
EDISCOVERY_CASES: Fact[Listing[EdiscoveryCase]] = Fact(
    "ediscovery_cases", "eDiscovery (Premium) cases with their legal holds and custodians (Graph security API)",
    ("graph:eDiscovery.Read.All", "graph:Organization.Read.All"), empty=Listing())
RECORDED_CASES: Fact[RecordedCases | None] = Fact(
    "recorded_cases", "the eDiscovery cases and holds the configured backup recorded (None: it recorded none)",
    empty=None)
RETENTION_LABELS: Fact[Listing[RetentionLabel]] = Fact(
    "retention_labels", "retention labels (records management)", ("graph:RecordsManagement.Read.All",),
    empty=Listing())
RETENTION_EVENTS: Fact[tuple[RetentionEvent, ...]] = Fact(
    "retention_events", "retention events that started event-based retention", ("graph:RecordsManagement.Read.All",))
DEVICES: Fact[tuple[Device, ...]] = Fact(
    "devices", "every Entra device (joined, hybrid joined, registered)", ("graph:Device.Read.All",))
MANAGED_DEVICES: Fact[Listing[ManagedDevice]] = Fact(
    "managed_devices", "Intune managed devices (needs an Intune licence in force)",
    ("graph:DeviceManagementManagedDevices.Read.All", "graph:Organization.Read.All"), empty=Listing())
AUTOPILOT_DEVICES: Fact[Listing[AutopilotDevice]] = Fact(
    "autopilot_devices", "Windows Autopilot registrations (needs an Intune licence in force)",
    ("graph:DeviceManagementServiceConfig.Read.All", "graph:Organization.Read.All"), empty=Listing())
BITLOCKER_KEYS: Fact[tuple[BitLockerKeyInfo, ...]] = Fact(
    "bitlocker_keys", "BitLocker recovery keys stored in Entra (metadata only, never the key)",
    ("graph:BitlockerKey.ReadBasic.All",))

USAGE_REPORTS: dict[str, Fact[tuple[UsageRow, ...]]] = {
    "mailbox": USAGE_MAILBOX, "onedrive": USAGE_ONEDRIVE, "sharepoint": USAGE_SHAREPOINT}
DELETED: dict[str, Fact[tuple[DeletedItem, ...]]] = {
    "user": DELETED_USERS, "application": DELETED_APPLICATIONS, "servicePrincipal": DELETED_SERVICE_PRINCIPALS}
ALL_FACTS: tuple[Fact[Any], ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Fact))


def fact_named(name: str) -> Fact[Any]:
    """The declared fact called `name` (tests and tools name facts; checks use the constants)."""
    for fact in ALL_FACTS:
        if fact.name == name:
            return fact
    raise KeyError(f"no fact is named {name!r}; declared: {', '.join(f.name for f in ALL_FACTS)}")


class TenantReader(Protocol):
    """The read-only facade checks see. Every fact returns every object (paging is hidden).

    `read` may raise a ClosegateError (PermissionDenied, Throttled, TransportError, MalformedResponse);
    the runner turns it into an ERROR result naming the cause.
    """

    def now(self) -> datetime:
        """The tenant's clock (the Date header of Graph's answers), timezone-aware UTC."""
        ...

    def read(self, fact: Fact[T]) -> T:
        """The value of `fact`, read once per facade and shared by every check."""
        ...

    def closing_admin_upn(self) -> str | None:
        """The UPN configured as the closing administrator ([tenant] closing_admin), or None.

        Configuration, not a Graph fact: with app sign-in nothing in the tenant says which Global
        Administrator will delete it, so the administrator names that account once.
        """
        ...
