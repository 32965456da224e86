"""Graph's answers that mean "the tenant lacks a licence", told apart from errors.

Some reads are refused not because closegate lacks a permission but because the tenant lacks a
licence (graph-facts §12.1). Such an answer says something true about the tenant (without P2 no
eligible assignment can exist), so the facade turns it into a `NotLicensed` value instead of an
error, and the backup records the source as "not available" with the same words. Only the codes
listed here are recognised; any other refusal stays an error (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass

from closegate.errors import GraphError
from closegate.facts import NotLicensed

__all__ = ["ELIGIBILITY", "REGISTRATION_DETAILS", "SIGN_INS", "LicenceRule", "not_licensed"]


@dataclass(frozen=True)
class LicenceRule:
    feature: str
    status: int
    code: str
    licence: str
    meaning: str

    def matches(self, exc: GraphError) -> bool:
        return exc.status == self.status and exc.code == self.code


# roleEligibilityScheduleInstances without P2: 400 AadPremiumLicenseRequired (graph-facts §12.1: a live
# answer quoted in maester365/maester issue #1421). Eligible assignments are removed when the licence
# lapses and cannot be made without it (Learn "Microsoft Entra licensing", "When a license expires
# for PIM", https://learn.microsoft.com/entra/fundamentals/licensing).
ELIGIBILITY = LicenceRule(
    "PIM eligible assignments", 400, "AadPremiumLicenseRequired",
    "Microsoft Entra ID P2 or Microsoft Entra ID Governance",
    "no eligible assignments are possible: the tenant has no P2 licence")
# userRegistrationDetails without a premium licence: 403 (microsoft-graph-docs-contrib issue #8777,
# graph-facts §12.1). The code also covers B2C tenants, which cannot report it either.
REGISTRATION_DETAILS = LicenceRule(
    "authentication method registration details", 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Microsoft Entra ID P1 or P2",
    "Graph does not report registered authentication methods: the tenant has no Microsoft Entra ID P1 or P2 "
    "licence (or is a B2C tenant)")
# Sign-in logs need P1 (graph-facts §12.1); Graph answers with the same code as the registration report.
SIGN_INS = LicenceRule(
    "sign-in logs", 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Microsoft Entra ID P1 or P2",
    "Graph keeps no sign-in logs to read: the tenant has no Microsoft Entra ID P1 or P2 licence")

_BY_PATH: tuple[tuple[str, LicenceRule], ...] = (
    ("/rolemanagement/directory/roleeligibilityscheduleinstances", ELIGIBILITY),
    ("/reports/authenticationmethods/userregistrationdetails", REGISTRATION_DETAILS),
    ("/auditlogs/signins", SIGN_INS),
)


def not_licensed(exc: GraphError, rule: LicenceRule | None = None) -> NotLicensed | None:
    """The licence gap `exc` reports, or None when it is any other error.

    Without `rule`, the rule is chosen from the request path the error carries (the backup knows
    sources by path, not by fact)."""
    if rule is None:
        path = exc.path.lower()
        rule = next((r for p, r in _BY_PATH if path.endswith(p)), None)
        if rule is None:
            return None
    if not rule.matches(exc):
        return None
    return NotLicensed(rule.feature, rule.licence, rule.status, rule.code, rule.meaning)
