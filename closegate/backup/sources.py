"""What a backup exports: one source per object type, each written to its own JSON Lines file.

The order matters: per-object sources (group members, owners, per-user MFA) read the ids of their
parent from the parent's completed file, so a parent always comes first. Candidate property lists
are Graph's documented v1.0 properties that a list request may $select (single-object-only
properties such as `aboutMe` or `mailboxSettings` fail a list request, so they are left out); the
export keeps the ones this tenant's Graph accepts (see `export.probe_properties`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTENT_NOTE", "EDISCOVERY_SOURCES", "SECRET_SOURCES", "SOURCES", "Source", "source_named"]

CONTENT_NOTE = (
    "closegate does not copy mailbox, OneDrive or SharePoint content; it exports the directory and the "
    "usage reports that show how much content each user and site holds. Back the content up with a "
    "content backup tool and record where with `closegate backup attest`."
)

_USER = (
    "id", "userPrincipalName", "displayName", "givenName", "surname", "mail", "mailNickname", "otherMails",
    "proxyAddresses", "imAddresses", "accountEnabled", "userType", "creationType", "externalUserState",
    "externalUserStateChangeDateTime", "createdDateTime", "deletedDateTime", "jobTitle", "department",
    "companyName", "employeeId", "employeeType", "employeeHireDate", "employeeLeaveDateTime",
    "employeeOrgData", "officeLocation", "streetAddress", "city", "state", "postalCode", "country",
    "businessPhones", "mobilePhone", "faxNumber", "preferredLanguage", "preferredDataLocation",
    "usageLocation", "ageGroup", "consentProvidedForMinor", "legalAgeGroupClassification", "identities",
    "isResourceAccount", "showInAddressList", "passwordPolicies", "lastPasswordChangeDateTime",
    "signInSessionsValidFromDateTime", "securityIdentifier", "assignedLicenses", "assignedPlans",
    "licenseAssignmentStates", "provisionedPlans", "onPremisesSyncEnabled", "onPremisesImmutableId",
    "onPremisesLastSyncDateTime", "onPremisesDistinguishedName", "onPremisesDomainName",
    "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesUserPrincipalName",
    "onPremisesExtensionAttributes", "onPremisesProvisioningErrors",
)
_GROUP = (
    "id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled",
    "groupTypes", "visibility", "classification", "createdDateTime", "deletedDateTime", "renewedDateTime",
    "expirationDateTime", "isAssignableToRole", "membershipRule", "membershipRuleProcessingState",
    "proxyAddresses", "preferredDataLocation", "preferredLanguage", "theme", "securityIdentifier",
    "resourceBehaviorOptions", "resourceProvisioningOptions", "onPremisesSyncEnabled",
    "onPremisesLastSyncDateTime", "onPremisesDomainName", "onPremisesNetBiosName",
    "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesProvisioningErrors",
)
_APPLICATION = (
    "id", "appId", "displayName", "description", "notes", "createdDateTime", "deletedDateTime",
    "signInAudience", "publisherDomain", "identifierUris", "tags", "keyCredentials", "passwordCredentials",
    "requiredResourceAccess", "appRoles", "api", "web", "spa", "publicClient", "info", "optionalClaims",
    "groupMembershipClaims", "isFallbackPublicClient", "isDeviceOnlyAuthSupported", "addIns",
    "parentalControlSettings", "serviceManagementReference", "tokenEncryptionKeyId", "verifiedPublisher",
    "certification", "defaultRedirectUri", "disabledByMicrosoftStatus", "applicationTemplateId",
    "samlMetadataUrl",
)
_SERVICE_PRINCIPAL = (
    "id", "appId", "displayName", "appDisplayName", "appDescription", "description", "notes",
    "accountEnabled", "appOwnerOrganizationId", "servicePrincipalType", "servicePrincipalNames",
    "alternativeNames", "appRoleAssignmentRequired", "appRoles", "oauth2PermissionScopes", "keyCredentials",
    "passwordCredentials", "addIns", "applicationTemplateId", "deletedDateTime", "disabledByMicrosoftStatus",
    "homepage", "info", "loginUrl", "logoutUrl", "notificationEmailAddresses", "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint", "replyUrls", "resourceSpecificApplicationPermissions",
    "samlSingleSignOnSettings", "signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher",
)


@dataclass(frozen=True)
class Source:
    """One object type. `kind`: "list" (a paged collection), "entity" (one object), "report" (a
    usage-report CSV), "children" (a paged collection per parent object, sent through $batch) or
    "per_object" (one object per parent, through $batch) or "secret" (one object per parent, read one
    at a time and written only encrypted: closegate.backup.secrets)."""

    name: str  # file stem and manifest key
    kind: str
    path: str  # relative to the API version; "{id}" is the parent object's id for per-parent kinds
    api: str = "v1.0"
    properties: tuple[str, ...] = ()  # candidates for $select (probed); empty: every default property
    params: tuple[tuple[str, str], ...] = ()
    top: bool = False  # the collection accepts $top=999 (graph-facts §1.2, §2.1)
    parent: str = ""  # the source whose ids drive a per-parent kind
    link: str = ""  # field naming the parent in each written record
    permissions: tuple[str, ...] = ()  # least-privileged application permission (for messages)
    carry: tuple[str, ...] = ()  # fields of the parent record the path names and each child record keeps
    where: tuple[str, str] = ("", "")  # (field, value): only parents whose list field holds the value

    @property
    def file(self) -> str:
        return f"{self.name}.jsonl.gz.age" if self.kind == "secret" else f"{self.name}.jsonl.gz"

    def wants(self, parent: dict[str, object]) -> bool:
        field, value = self.where
        if not field:
            return True
        held = parent.get(field)
        return isinstance(held, list) and value in held


SOURCES: tuple[Source, ...] = (
    Source("organization", "list", "/organization", permissions=("Organization.Read.All",)),
    Source("domains", "list", "/domains", permissions=("Domain.Read.All",)),
    Source("subscribed-skus", "list", "/subscribedSkus", permissions=("Organization.Read.All",)),
    Source("company-subscriptions", "list", "/directory/subscriptions", permissions=("Organization.Read.All",)),
    Source("users", "list", "/users", properties=_USER, top=True, permissions=("User.Read.All",)),
    Source("groups", "list", "/groups", properties=_GROUP, top=True, permissions=("GroupMember.Read.All",)),
    Source("group-members", "children", "/groups/{id}/members", parent="groups", link="groupId",
           params=(("$select", "id"), ("$top", "999")), permissions=("GroupMember.Read.All",)),
    Source("role-assignments", "list", "/roleManagement/directory/roleAssignments",
           permissions=("RoleManagement.Read.Directory",)),
    Source("role-eligibilities", "list", "/roleManagement/directory/roleEligibilityScheduleInstances",
           permissions=("RoleEligibilitySchedule.Read.Directory",)),
    Source("applications", "list", "/applications", properties=_APPLICATION, top=True,
           permissions=("Application.Read.All",)),
    Source("application-owners", "children", "/applications/{id}/owners", parent="applications",
           link="applicationId", permissions=("Application.Read.All",)),
    Source("service-principals", "list", "/servicePrincipals", properties=_SERVICE_PRINCIPAL, top=True,
           permissions=("Application.Read.All",)),
    Source("service-principal-owners", "children", "/servicePrincipals/{id}/owners",
           parent="service-principals", link="servicePrincipalId", permissions=("Application.Read.All",)),
    Source("conditional-access-policies", "list", "/identity/conditionalAccess/policies",
           permissions=("Policy.Read.All",)),
    Source("security-defaults", "entity", "/policies/identitySecurityDefaultsEnforcementPolicy",
           permissions=("Policy.Read.All",)),
    # Per-user MFA state exists in beta only (graph-facts §5.1).
    Source("per-user-mfa", "per_object", "/users/{id}/authentication/requirements", api="beta",
           parent="users", link="userId", permissions=("Policy.Read.All",)),
    Source("registration-details", "list", "/reports/authenticationMethods/userRegistrationDetails",
           permissions=("AuditLog.Read.All",)),
    # Usage reports: 302 to a CSV (graph-facts §1.1); period D7 like the tenant facade.
    Source("mailbox-usage", "report", "/reports/getMailboxUsageDetail(period='D7')",
           permissions=("Reports.Read.All",)),
    Source("onedrive-usage", "report", "/reports/getOneDriveUsageAccountDetail(period='D7')",
           permissions=("Reports.Read.All",)),
    Source("sharepoint-usage", "report", "/reports/getSharePointSiteUsageDetail(period='D7')",
           permissions=("Reports.Read.All",)),
    # What closing destroys beyond the directory (issue 14; graph-facts §12.7). Teams and Microsoft 365
    # groups are the groups above (groupTypes "Unified", resourceProvisioningOptions "Team"); their
    # owners are kept here (learn: graph/api/group-list-owners).
    Source("group-owners", "children", "/groups/{id}/owners", parent="groups", link="groupId",
           params=(("$select", "id,displayName,userPrincipalName"),), where=("groupTypes", "Unified"),
           permissions=("GroupMember.Read.All",)),
    # The sites list, not only the usage report (learn: graph/api/site-getallsites; application only).
    Source("sites", "list", "/sites/getAllSites", permissions=("Sites.Read.All",)),
    # Shared, room and equipment mailboxes (learn: graph/api/resources/mailboxsettings userPurpose); a
    # user without a mailbox answers 404 and is left out.
    Source("mailbox-purposes", "per_object", "/users/{id}/mailboxSettings/userPurpose", parent="users",
           link="userId", permissions=("MailboxSettings.Read",)),
    # Entra keeps audits 7 days (30 with Entra ID P1) and sign-ins 30 days, sign-ins only with P1
    # (MicrosoftDocs/entra-docs docs/identity/monitoring-health/reference-reports-data-retention.md;
    # graph-facts §12.1): Graph returns what it still retains, and sign-ins are recorded as not
    # available, with Graph's reason, where the licence is missing.
    Source("directory-audits", "list", "/auditLogs/directoryAudits", permissions=("AuditLog.Read.All",)),
    Source("sign-ins", "list", "/auditLogs/signIns", permissions=("AuditLog.Read.All",)),
    Source("devices", "list", "/devices", permissions=("Device.Read.All",)),
    Source("managed-devices", "list", "/deviceManagement/managedDevices",
           permissions=("DeviceManagementManagedDevices.Read.All",)),
    Source("autopilot-devices", "list", "/deviceManagement/windowsAutopilotDeviceIdentities",
           permissions=("DeviceManagementServiceConfig.Read.All",)),
    # Metadata only (the list never returns `key`); the keys themselves are the secret source below.
    Source("bitlocker-key-metadata", "list", "/informationProtection/bitlocker/recoveryKeys",
           permissions=("BitLockerKey.ReadBasic.All",)),
    Source("bitlocker-recovery-keys", "secret", "/informationProtection/bitlocker/recoveryKeys/{id}?$select=key",
           parent="bitlocker-key-metadata", link="id", permissions=("BitLockerKey.Read.All",)),
    # eDiscovery (Premium) cases and holds (learn: graph/api/resources/security-ediscoveryholdpolicy);
    # legal holds are in Graph's beta metadata only.
    Source("ediscovery-cases", "list", "/security/cases/ediscoveryCases", permissions=("eDiscovery.Read.All",)),
    Source("ediscovery-custodians", "children", "/security/cases/ediscoveryCases/{id}/custodians",
           parent="ediscovery-cases", link="caseId", permissions=("eDiscovery.Read.All",)),
    Source("ediscovery-legal-holds", "children", "/security/cases/ediscoveryCases/{id}/legalHolds", api="beta",
           parent="ediscovery-cases", link="caseId", permissions=("eDiscovery.Read.All",)),
    Source("ediscovery-hold-users", "children", "/security/cases/ediscoveryCases/{caseId}/legalHolds/{id}/userSources",
           api="beta", parent="ediscovery-legal-holds", link="holdId", carry=("caseId",),
           permissions=("eDiscovery.Read.All",)),
    Source("ediscovery-hold-sites", "children", "/security/cases/ediscoveryCases/{caseId}/legalHolds/{id}/siteSources",
           api="beta", parent="ediscovery-legal-holds", link="holdId", carry=("caseId",),
           params=(("$expand", "site"),), permissions=("eDiscovery.Read.All",)),
    # Retention labels are documented for delegated callers only: an app's backup records them as not
    # available (learn: graph/api/security-labelsroot-list-retentionlabel).
    Source("retention-labels", "list", "/security/labels/retentionLabels",
           params=(("$expand", "retentionEventType"),), permissions=("RecordsManagement.Read.All",)),
    Source("retention-event-types", "list", "/security/triggerTypes/retentionEventTypes",
           permissions=("RecordsManagement.Read.All",)),
    Source("retention-events", "list", "/security/triggers/retentionEvents", permissions=("RecordsManagement.Read.All",)),
)
EDISCOVERY_SOURCES = ("ediscovery-cases", "ediscovery-custodians", "ediscovery-legal-holds", "ediscovery-hold-users",
                      "ediscovery-hold-sites")
SECRET_SOURCES = tuple(s.name for s in SOURCES if s.kind == "secret")


def source_named(name: str) -> Source:
    for source in SOURCES:
        if source.name == name:
            return source
    raise KeyError(name)
