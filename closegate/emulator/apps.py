"""The client applications registered in the emulated tenant, and what each one is allowed to do.

closegate signs in as one of these exactly as it would as an app registration in a real tenant:
a read-write confidential app (client secret), a read-only one, a certificate app (registered by
thumbprint and, separately, by subject name + issuer for x5c authentication) and a public client
for the device-code flow. The permission names are the ones graph-facts.md lists per endpoint.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from enum import Enum

from cryptography import x509

from closegate.emulator.certs import Pki, thumbprints

__all__ = ["AppKind", "AppRegistry", "RegisteredApp", "build_registry"]

# Application permissions of the read-write app: every write closegate's actions perform
# (graph-facts §2.3 user delete, §3.2 sync off, §5 MFA/security defaults/CA, §6 apps/SPs).
READ_WRITE_ROLES: frozenset[str] = frozenset({
    "Application.ReadWrite.All", "AuditLog.Read.All", "Directory.ReadWrite.All", "Domain.Read.All",
    "Group.Read.All", "GroupMember.Read.All", "OnPremDirectorySynchronization.ReadWrite.All",
    "Organization.ReadWrite.All", "Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod",
    "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.SecurityDefaults", "Reports.Read.All",
    "ReportSettings.ReadWrite.All", "RoleEligibilitySchedule.Read.Directory",
    "RoleManagement.ReadWrite.Directory", "User.DeleteRestore.All", "User.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
}) | frozenset({
    # records, holds, devices, logs and the multitenant organization (graph_records): the reads, the
    # two Intune writes that deregister a device (managed device, then Autopilot), leaving the
    # multitenant organization, and reading BitLocker key material for an opted-in backup
    "BitLockerKey.Read.All", "Device.Read.All", "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementServiceConfig.ReadWrite.All", "eDiscovery.Read.All", "MailboxSettings.Read",
    "MultiTenantOrganization.ReadWrite.All", "RecordsManagement.Read.All", "Sites.Read.All",
})

# The least-privileged read set for an audit-only run (graph-facts §1-§7 "least" columns).
READ_ONLY_ROLES: frozenset[str] = frozenset({
    "Application.Read.All", "AuditLog.Read.All", "Directory.Read.All", "Domain.Read.All", "Group.Read.All",
    "GroupMember.Read.All", "Organization.Read.All", "Policy.Read.All", "Reports.Read.All",
    "ReportSettings.Read.All", "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory",
    "User.Read.All", "UserAuthenticationMethod.Read.All",
}) | frozenset({  # BitLocker metadata only: reading key material is audited and opt-in (graph_devices)
    "BitLockerKey.ReadBasic.All", "Device.Read.All", "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementServiceConfig.Read.All", "eDiscovery.Read.All", "MailboxSettings.Read",
    "MultiTenantOrganization.Read.All", "RecordsManagement.Read.All", "Sites.Read.All",
})

# Delegated scopes an administrator consented to for the device-code client.
PUBLIC_CLIENT_SCOPES: frozenset[str] = frozenset({
    "Application.ReadWrite.All", "AuditLog.Read.All", "Directory.AccessAsUser.All", "Directory.Read.All",
    "Directory.ReadWrite.All", "Domain.Read.All", "Group.Read.All", "GroupMember.Read.All",
    "Organization.Read.All", "Organization.ReadWrite.All", "Policy.Read.All",
    "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.ConditionalAccess",
    "Policy.ReadWrite.SecurityDefaults", "Reports.Read.All", "ReportSettings.ReadWrite.All",
    "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory", "User.DeleteRestore.All", "User.Read", "User.Read.All",
    "User.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All",
}) | frozenset({  # records, holds, devices and logs (graph_records); sites lists are app-only
    "BitLockerKey.Read.All", "Device.Read.All", "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementServiceConfig.ReadWrite.All", "eDiscovery.Read.All", "MailboxSettings.Read",
    "MultiTenantOrganization.ReadWrite.All", "RecordsManagement.Read.All",
})


class AppKind(Enum):
    CONFIDENTIAL = "confidential"
    PUBLIC = "public"


@dataclass(frozen=True)
class RegisteredApp:
    client_id: str
    display_name: str
    kind: AppKind
    secret: str | None = None
    # (x5t, x5t#S256) -> certificate, for thumbprint-registered credentials.
    certificates: dict[tuple[str, str], x509.Certificate] = field(default_factory=dict)
    # subject-name/issuer credential: (subject, issuer) as RFC 4514 strings, plus the trusted issuer.
    sni_subject: str | None = None
    sni_issuer_cert: x509.Certificate | None = None
    roles: frozenset[str] = frozenset()  # application permissions (client credentials)
    delegated_scopes: frozenset[str] = frozenset()  # consented delegated Graph scopes

    def secret_matches(self, presented: str) -> bool:
        return self.secret is not None and hmac.compare_digest(self.secret.encode(), presented.encode())

    def certificate_for(self, x5t: str, x5t_s256: str) -> x509.Certificate | None:
        """The registered certificate named by a JOSE header (msal pads thumbprints, P7)."""
        x5t, x5t_s256 = x5t.rstrip("="), x5t_s256.rstrip("=")
        for (sha1, sha256), cert in self.certificates.items():
            if (x5t_s256 and x5t_s256 == sha256) or (x5t and x5t == sha1):
                return cert
        return None


@dataclass(frozen=True)
class AppRegistry:
    read_write: RegisteredApp
    read_only: RegisteredApp
    certificate: RegisteredApp
    public: RegisteredApp

    def all(self) -> tuple[RegisteredApp, ...]:
        return (self.read_write, self.read_only, self.certificate, self.public)

    def find(self, client_id: str) -> RegisteredApp | None:
        wanted = client_id.strip().lower()
        return next((a for a in self.all() if a.client_id == wanted), None)


def _new_id() -> str:
    return str(uuid.uuid4())


def _secret() -> str:
    # Entra client secrets are 40 characters drawn from a URL-safe alphabet plus '~' and '.'.
    return secrets.token_urlsafe(30)[:40]


def build_registry(pki: Pki) -> AppRegistry:
    """Fresh client ids and secrets for one emulator instance; certificates come from the PKI."""
    return AppRegistry(
        read_write=RegisteredApp(_new_id(), "closegate (read-write)", AppKind.CONFIDENTIAL,
                                 secret=_secret(), roles=READ_WRITE_ROLES),
        read_only=RegisteredApp(_new_id(), "closegate (read-only)", AppKind.CONFIDENTIAL,
                                secret=_secret(), roles=READ_ONLY_ROLES),
        certificate=RegisteredApp(_new_id(), "closegate (certificate)", AppKind.CONFIDENTIAL,
                                  certificates={thumbprints(pki.app_cert): pki.app_cert},
                                  sni_subject=pki.sni_cert.subject.rfc4514_string(),
                                  sni_issuer_cert=pki.sni_issuer_cert, roles=READ_WRITE_ROLES),
        public=RegisteredApp(_new_id(), "closegate (device code)", AppKind.PUBLIC,
                             delegated_scopes=PUBLIC_CLIENT_SCOPES),
    )
