"""`closegate doctor`: sign in, show who and where closegate is, and what it may not yet do.

The permissions compared are the ones the checks and actions declare (closegate.permissions), so
this command cannot drift from the code. Exit 0 when nothing is missing, 2 naming what is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from closegate import facts
from closegate import permissions as perms
from closegate.commands._common import cut_tokens, fail, visible
from closegate.config import Settings
from closegate.errors import ClosegateError, PermissionDenied
from closegate.facts import (
    AZURE_SUBSCRIPTIONS,
    AZURE_VISIBILITY,
    B2C_ONLY,
    B2C_TENANT_TYPE,
    BILLING_ACCOUNTS,
    CALLER,
    ORGANIZATION,
)
from closegate.session import open_session
from closegate.tenant import Tenant

__all__ = ["Diagnosis", "diagnose", "register"]

# Role template ids closegate cares about (graph-facts §2.2).
ROLE_NAMES = {
    facts.GLOBAL_ADMINISTRATOR: "Global Administrator",
    facts.BILLING_ADMINISTRATOR: "Billing Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
}
PURPOSES = ("audit", "remediate")



@dataclass(frozen=True)
class NeedStatus:
    purpose: str
    resource: str
    permission: str
    satisfied: bool
    needed_by: tuple[str, ...]
    only_when: str
    fix: str


@dataclass(frozen=True)
class Diagnosis:
    tenant_id: str
    tenant_name: str
    primary_domain: str
    cloud: str
    caller_kind: str  # "user" | "app"
    caller_name: str
    caller_id: str
    app_id: str
    sign_in: str
    roles: tuple[str, ...]
    granted: tuple[str, ...]
    arm_access: bool | None
    arm_note: str
    needs: tuple[NeedStatus, ...]
    warnings: tuple[str, ...]

    @property
    def missing(self) -> tuple[NeedStatus, ...]:
        return tuple(n for n in self.needs if not n.satisfied and not n.only_when)


def diagnose(settings: Settings, tenant: Tenant, sign_in: str,
             needed: Callable[[str], tuple[perms.PermissionNeed, ...]] | None = None) -> Diagnosis:
    """Everything doctor reports; `needed` defaults to what the checks and actions declare."""
    needed = needed or perms.needed
    org = tenant.read(ORGANIZATION)
    caller = tenant.read(CALLER)
    arm_access, arm_note = _arm_access(tenant)
    granted = set(caller.permissions) | ({perms.ARM_ACCESS} if arm_access else set())
    granted |= {perms.BILLING_ACCESS} if _billing_access(tenant) else set()
    b2c = org.tenant_type == B2C_TENANT_TYPE
    needs = []
    for purpose in PURPOSES:
        for need in needed(purpose):
            # A B2C-only need is this tenant's need, or none of its business: shown only where it applies.
            if need.only_when == B2C_ONLY and not b2c:
                continue
            only_when = "" if need.only_when == B2C_ONLY else need.only_when
            ok = perms.satisfied(need, granted)
            needs.append(NeedStatus(purpose, need.resource, need.permission, ok, need.needed_by, only_when,
                                    "" if ok else perms.grant_fix(need, caller.app_id)))
    warnings = []
    if caller.kind == "user" and not caller.is_global_admin:
        warnings.append("the signed-in user is not an active Global Administrator: only a Global Administrator "
                        "can close the tenant (activate the role in PIM if it is eligible)")
    return Diagnosis(
        tenant_id=org.id, tenant_name=org.display_name, primary_domain=org.primary_domain, cloud=settings.cloud.name,
        caller_kind=caller.kind, caller_name=caller.user_principal_name or caller.display_name,
        caller_id=caller.object_id, app_id=caller.app_id, sign_in=sign_in,
        roles=tuple(sorted(ROLE_NAMES.get(r, r) for r in caller.role_template_ids)),
        granted=tuple(sorted(caller.permissions)), arm_access=arm_access, arm_note=arm_note,
        needs=tuple(needs), warnings=tuple(warnings))


def _arm_access(tenant: Tenant) -> tuple[bool | None, str]:
    # ARM access is Azure RBAC at a scope, not a token claim: try the reads the checks will make. A
    # list is access only when the caller's roles prove it is the whole list (graph-facts §12.2).
    try:
        subs = tenant.read(AZURE_SUBSCRIPTIONS)
        seen = tenant.read(AZURE_VISIBILITY)
    except PermissionDenied as exc:
        return False, exc.cause
    except ClosegateError as exc:
        return None, exc.one_line()
    if not seen.complete:
        return False, (f"{len(subs)} Azure subscription(s) visible, which proves nothing: {seen.how}; CG-011 and "
                       f"CG-027 cannot pass until you {perms.ELEVATE_ACCESS_FIX}")
    return True, f"{len(subs)} Azure subscription(s) visible, and that is all of them: {seen.how}"


def _billing_access(tenant: Tenant) -> bool:
    try:
        return bool(tenant.read(BILLING_ACCOUNTS))
    except ClosegateError:
        return False


def _render(d: Diagnosis) -> list[str]:
    lines = [
        f"tenant    {d.tenant_name} ({d.primary_domain}), id {d.tenant_id}, cloud {d.cloud}",
        f"caller    {d.caller_kind} {d.caller_name} (object id {d.caller_id}, app {d.app_id}), "
        f"signed in with {d.sign_in}",
        f"roles     {', '.join(d.roles) or 'no directory roles'}",
        f"granted   {', '.join(d.granted) or 'no Graph permissions'}",
        f"azure     {'yes' if d.arm_access else 'unknown' if d.arm_access is None else 'no'}: {d.arm_note}",
    ]
    for purpose in PURPOSES:
        mine = [n for n in d.needs if n.purpose == purpose]
        required = [n for n in mine if not n.only_when]
        short = [n for n in required if not n.satisfied]
        conditional = [n for n in mine if n.only_when and not n.satisfied]
        lines.append(f"{purpose:<9} {len(required) - len(short)} of {len(required)} required permission(s) present"
                     + (f", {len(short)} missing" if short else "")
                     + (f"; {len(conditional)} conditional not granted" if conditional else ""))
        for n in mine:
            if n.satisfied:
                continue
            label = f"not granted ({n.only_when})" if n.only_when else "missing"
            lines.append(f"  {label} {n.resource}:{n.permission}, needed by {', '.join(n.needed_by)}")
            lines.append(f"    fix: {n.fix}")
    lines += [f"warning   {w}" for w in d.warnings]
    lines.append("ready: nothing missing" if not d.missing else
                 f"not ready: {len({(n.resource, n.permission) for n in d.missing})} permission(s) missing")
    return lines


def _as_json(d: Diagnosis) -> dict[str, Any]:
    data = asdict(d)
    data["missing"] = [f"{n.resource}:{n.permission}" for n in d.missing]
    return data


def register(group: click.Group) -> None:
    @group.command("doctor")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="closegate.toml to use (default: ./closegate.toml if present, else AZURE_* variables)")
    @click.option("--json", "as_json", is_flag=True, help="print the diagnosis as JSON")
    @click.pass_context
    def doctor(ctx: click.Context, config_path: Path | None, as_json: bool) -> None:
        """Sign in and show the tenant, the caller, and the permissions missing for audit and remediate.

        \b
        Examples:
          closegate doctor --config closegate.toml
          closegate doctor --json

        \b
        Exit codes: 0 nothing missing, 2 could not sign in or a permission is missing.
        """
        try:
            session = open_session(config_path, prompt=lambda p: click.echo(p.message, err=True), sign_in=False)
            tenant = session.reader()
            tenant.prefetch([ORGANIZATION, CALLER, AZURE_SUBSCRIPTIONS, AZURE_VISIBILITY, BILLING_ACCOUNTS])
            result = diagnose(session.settings, tenant, session.tokens.description)
        except ClosegateError as exc:
            fail(exc, "closegate doctor")
        if as_json:
            click.echo(json.dumps(_as_json(result), indent=2, sort_keys=True))
        else:
            # Tenant and caller names are the tenant's to choose: each line is neutralised (closegate.text).
            click.echo("\n".join(cut_tokens(line) for line in _render(result)))
        if result.missing:
            # The one stderr line a script sees; the diagnosis above (stdout) has the per-permission fixes.
            names = sorted({f"{n.resource}:{n.permission}" for n in result.missing})
            click.echo(visible(f"closegate doctor: {len(names)} permission(s) missing ({', '.join(names)}): grant them "
                               f"to the app registration {result.app_id} and grant admin consent, as listed above"),
                       err=True)
        ctx.exit(2 if result.missing else 0)
