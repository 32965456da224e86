"""The closing administrator's browser sign-in to an admin portal, as the operator surface simulates it.

The final tenant delete is a portal action (graph-facts §6), so a tenant whose portal the closing
admin cannot reach cannot be closed. A portal sign-in fails when:
* an application the portal signs in with, or a resource it calls, has a disabled service principal:
  AADSTS7000112 "Application '{appId}'({name}) is disabled" (error-code-aadsts7000112-application-
  is-disabled.md; Microsoft "don't expect or recommend" disabling first-party principals). Documented
  for the Microsoft 365 portal and Office 365 Exchange Online (SupportArticles-docs Microsoft365/admin/
  authentication/exchange-online-application-service-principal-disabled.md); for the Azure portal and
  the Entra admin center graph-facts §12.4 calls the lockout "unverified but likely", and the emulator
  models the worse case: every app listed below locks its portal when disabled;
* the user has no registered MFA method: Microsoft enforces MFA on the Azure portal, Entra admin center
  and Microsoft 365 admin center (§12.5), and a user who cannot prove up is stopped with AADSTS50079;
* the user does not exist (AADSTS50034) or is disabled (AADSTS50057).

App ids are Microsoft's published ones (closegate.emulator.first_party_catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

from closegate.emulator.state import Refused, TenantState

__all__ = ["PORTALS", "PORTAL_APP_IDS", "Portal", "PortalSignIn", "sign_in"]

AZURE_PORTAL = ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal")
ADIBIZA_UX = ("74658136-14ec-4630-ad9b-26e160ff0fc6", "ADIbizaUX")
MICROSOFT_GRAPH = ("00000003-0000-0000-c000-000000000000", "Microsoft Graph")
SERVICE_MANAGEMENT = ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API")
OFFICE_365_PORTAL = ("00000006-0000-0ff1-ce00-000000000000", "Microsoft Office 365 Portal")
OFFICE_HOME = ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome")
EXCHANGE_ONLINE = ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
_NOT_MFA = frozenset({"email", "securityQuestion"})


@dataclass(frozen=True)
class Portal:
    name: str
    apps: tuple[tuple[str, str], ...]  # (appId, displayName): the client first, then the resources it calls


PORTALS: dict[str, Portal] = {
    "entra": Portal("Microsoft Entra admin center", (AZURE_PORTAL, ADIBIZA_UX, MICROSOFT_GRAPH)),
    "azure": Portal("Azure portal", (AZURE_PORTAL, SERVICE_MANAGEMENT)),
    "m365": Portal("Microsoft 365 admin center", (OFFICE_365_PORTAL, OFFICE_HOME, EXCHANGE_ONLINE)),
}
PORTAL_APP_IDS = frozenset(app_id for p in PORTALS.values() for app_id, _ in p.apps)


@dataclass(frozen=True)
class PortalSignIn:
    portal: str
    user_id: str
    user_principal_name: str


def _fail(code: int, text: str) -> Refused:
    return Refused(f"AADSTS{code}: {text}")


def sign_in(state: TenantState, upn: str, portal: str = "entra") -> PortalSignIn:
    """Sign `upn` in to a portal, or raise Refused carrying the AADSTS error the browser would show."""
    if portal not in PORTALS:
        raise ValueError(f"unknown portal {portal!r}: use one of {', '.join(PORTALS)}")
    target = PORTALS[portal]
    with state.lock:
        state.tick()
        user = state.user_record(upn)
        if user is None or user.deleted_at is not None:
            raise _fail(50034, f"The user account {upn} does not exist in the {state.display_name} directory.")
        if not user.account_enabled:
            raise _fail(50057, "The user account is disabled.")
        for app_id, name in target.apps:
            sp = next((s for s in state.service_principals.values()
                       if s.app_id == app_id and s.deleted_at is None), None)
            if sp is not None and not sp.account_enabled:
                raise _fail(7000112, f"Application '{app_id}'({name}) is disabled.")
        if not [m for m in user.methods if m not in _NOT_MFA]:
            raise _fail(50079, "Due to a configuration change made by your administrator, or because you "
                        "moved to a new location, you must enroll in multi-factor authentication to access "
                        f"'{target.apps[0][1]}'.")
        return PortalSignIn(portal, user.id, user.user_principal_name)
