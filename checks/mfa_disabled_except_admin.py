"""CG-008: multifactor authentication is off for everyone but the closing administrator.

Microsoft: "Disable multifactor authentication ... for all accounts except the Global Administrator
account that you're currently using" (graph-facts §0, S2). MFA comes from three places (§5): per-user
MFA state (beta API only, S11/S12), security defaults (S13), and enabled Conditional Access policies
that grant with "mfa" or an authentication strength (S14). Report-only policies enforce nothing and
are shown, not counted. Fixed by `disable_per_user_mfa`, `disable_security_defaults`,
`disable_mfa_policies`.
"""

from __future__ import annotations

from closegate.closing_admin import closing_admin
from closegate.facts import (
    CONDITIONAL_ACCESS_POLICIES,
    GLOBAL_ADMINS,
    PER_USER_MFA,
    SECURITY_DEFAULTS,
    USERS,
    TenantReader,
)
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["mfa_disabled_except_admin"]


@check(
    id="CG-008",
    title="MFA is off for everyone except the closing administrator",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DISABLE_MFA,
    reads=(PER_USER_MFA, SECURITY_DEFAULTS, CONDITIONAL_ACCESS_POLICIES, USERS, GLOBAL_ADMINS),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/authentication/howto-mfa-userstates",
    why="Microsoft's procedure requires MFA off for every account but the closing Global Administrator.",
    fix="Actions disable_per_user_mfa, disable_security_defaults and disable_mfa_policies.",
)
def mfa_disabled_except_admin(tenant: TenantReader) -> Outcome:
    admin = closing_admin(tenant)
    keep = admin.user.id if admin.user else None
    names = {u.id: u.user_principal_name for u in tenant.read(USERS)}
    per_user = [m for m in tenant.read(PER_USER_MFA) if m.state != "disabled" and m.user_id != keep]
    defaults = tenant.read(SECURITY_DEFAULTS).is_enabled
    policies = [p for p in tenant.read(CONDITIONAL_ACCESS_POLICIES) if p.demands_mfa]
    enforced = [p for p in policies if p.state == "enabled"]
    report_only = [p for p in policies if p.state == "enabledForReportingButNotEnforced"]
    evidence = {
        "per_user_mfa_on": [{"user": names.get(m.user_id, m.user_id), "state": m.state} for m in per_user],
        "security_defaults_enabled": defaults,
        "enforcing_policies": [{"id": p.id, "name": p.display_name, "mfa": p.requires_mfa,
                                "authentication_strength": p.authentication_strength} for p in enforced],
        "report_only_policies": [{"id": p.id, "name": p.display_name} for p in report_only],
    }
    if per_user or defaults or enforced:
        return failed(f"MFA is still required: {len(per_user)} users have per-user MFA on, security defaults are "
                      f"{'on' if defaults else 'off'}, {len(enforced)} enabled Conditional Access policies require MFA",
                      evidence)
    return passed(f"no per-user MFA, security defaults off, no enforcing MFA policy "
                  f"({len(report_only)} report-only policies shown)", evidence)


@action(
    id="disable_per_user_mfa",
    title="Set per-user MFA to disabled for every user but the closing administrator",
    fixes="CG-008",
    kind=Kind.AUTOMATED,
    step=Step.DISABLE_MFA,
    order=10,
    reversibility=Reversibility.REVERSIBLE,
    permissions=("graph:Policy.ReadWrite.AuthenticationMethod",),
    effect=EffectName.DISABLE_PER_USER_MFA,
    undo="set perUserMfaState back to enabled or enforced (beta authentication/requirements, graph-facts §5.1)",
)
def disable_per_user_mfa(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    names = {u.id: u.user_principal_name for u in tenant.read(USERS)}
    return tuple(Target(m.user_id, names.get(m.user_id, m.user_id), {}, {"per_user_mfa_state": m.state})
                 for m in tenant.read(PER_USER_MFA) if m.state != "disabled" and not scope.protects(m.user_id))


@action(
    id="disable_security_defaults",
    title="Turn security defaults off",
    fixes="CG-008",
    kind=Kind.AUTOMATED,
    step=Step.DISABLE_MFA,
    order=20,
    reversibility=Reversibility.REVERSIBLE,
    permissions=("graph:Policy.ReadWrite.SecurityDefaults",),
    effect=EffectName.DISABLE_SECURITY_DEFAULTS,
    undo="turn security defaults on again (Entra admin center > Properties > Manage security defaults)",
)
def disable_security_defaults(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    if not tenant.read(SECURITY_DEFAULTS).is_enabled:
        return ()
    return (Target("identitySecurityDefaultsEnforcementPolicy", "security defaults", {}, {"is_enabled": True}),)


@action(
    id="disable_mfa_policies",
    title="Disable the enabled Conditional Access policies that require MFA or an authentication strength",
    fixes="CG-008",
    kind=Kind.AUTOMATED,
    step=Step.DISABLE_MFA,
    order=30,
    reversibility=Reversibility.REVERSIBLE,
    permissions=("graph:Policy.Read.All", "graph:Policy.ReadWrite.ConditionalAccess"),
    effect=EffectName.DISABLE_CA_POLICY,
    undo="set the policy state back to enabled (Entra admin center > Conditional Access > Policies)",
)
def disable_mfa_policies(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target(p.id, p.display_name, {"display_name": p.display_name},
                        {"state": p.state, "mfa": p.requires_mfa, "authentication_strength": p.authentication_strength})
                 for p in tenant.read(CONDITIONAL_ACCESS_POLICIES) if p.demands_mfa and p.state == "enabled")
