"""What each automated action does on the wire: the re-read, the write, and how to judge the answer.

Actions (in checks/) only choose targets; the Graph and ARM requests live here, one `Effect` per kind
of change, so the executor can treat every change the same way: re-read the object, compare it with
the plan, skip it if it changed or vanished, write only if the desired state does not already hold.
Paths are relative to the API version ("v1.0", "beta") or to the ARM root ("arm").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from closegate.facts import GLOBAL_ADMINISTRATOR
from closegate.remediation.actions import Target
from closegate.remediation.outcomes import EffectName

__all__ = ["EFFECTS", "Effect", "Request"]

ARM_LIST_VERSION = "2022-12-01"  # graph-facts §4.4
ARM_CANCEL_VERSION = "2021-10-01"  # graph-facts §4.4 (S33)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    idempotent: bool = False  # a PATCH to a fixed value may be resent after a lost answer


Read = Callable[[Target], Request]
Parse = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Effect:
    name: EffectName
    api: str  # "v1.0" | "beta" | "arm"
    reread: Read
    current: Parse  # re-read body -> the fields a Target records (plus any state the effect needs)
    write: Callable[[Target], Request]
    satisfied: Callable[[Mapping[str, Any]], bool] = lambda cur: False  # desired state already holds
    blocked: Callable[[Mapping[str, Any]], str] = lambda cur: ""  # why it cannot run yet (retried later)
    gone_means_done: bool = True  # deletes: an object gone after our intent was deleted by us
    missing_reason: str = "it no longer exists (removed since the plan)"
    missing_is_final: bool = True
    batchable: bool = True  # Graph $batch of 20 (graph-facts §8.1)
    requests_per_second: float | None = None  # Conditional Access: 1/s per tenant (§5.3, §8.3)
    fallback: Callable[[Target], Request] | None = None  # tried once when the write is refused (403)
    fallback_note: str = ""
    reread_is_list: bool = False  # a filtered list: the object is gone when the list is empty
    accepted: str = ""  # the write is accepted, not done: completes later (recorded as the reason of "applied")


def _select(path: str, fields: str) -> str:
    return f"{path}?$select={fields}"


def _user(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"user_principal_name": body.get("userPrincipalName"), "display_name": body.get("displayName"),
            "synced": bool(body.get("onPremisesSyncEnabled"))}


def _first(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    rows = body.get("value")
    return rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None


def _eligibility(body: Mapping[str, Any]) -> dict[str, Any]:
    row = _first(body) or {}
    return {"principal_id": row.get("principalId"), "role_definition_id": row.get("roleDefinitionId")}


def _sp(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"app_id": body.get("appId"), "display_name": body.get("displayName"),
            "account_enabled": bool(body.get("accountEnabled", True))}


_SP_SELECT = "id,appId,displayName,accountEnabled"

EFFECTS: Mapping[EffectName, Effect] = {e.name: e for e in (
    # §1.1 (S17): PATCH adminReportSettings displayConcealedNames=false; a singleton, so never gone.
    Effect(
        name=EffectName.REVEAL_REPORT_NAMES, api="v1.0", batchable=False,
        reread=lambda t: Request("GET", _select("/admin/reportSettings", "displayConcealedNames")),
        current=lambda b: {"display_concealed_names": b.get("displayConcealedNames")},
        satisfied=lambda cur: cur.get("display_concealed_names") is False,
        write=lambda t: Request("PATCH", "/admin/reportSettings", {"displayConcealedNames": False},
                                idempotent=True),
        gone_means_done=False),
    # §3.2: PATCH organization onPremisesSyncEnabled=false; repeating it while the turn-off runs is a no-op.
    Effect(
        name=EffectName.TURN_OFF_SYNC, api="v1.0", batchable=False,
        reread=lambda t: Request("GET", _select(f"/organization/{t.object_id}", "id,onPremisesSyncEnabled")),
        current=lambda b: {"sync_enabled": b.get("onPremisesSyncEnabled")},
        satisfied=lambda cur: cur.get("sync_enabled") is not True,
        write=lambda t: Request("PATCH", f"/organization/{t.object_id}", {"onPremisesSyncEnabled": False},
                                idempotent=True),
        gone_means_done=False),
    # §2.2: DELETE an active assignment of Global Administrator.
    Effect(
        name=EffectName.DELETE_ROLE_ASSIGNMENT, api="v1.0",
        reread=lambda t: Request("GET", f"/roleManagement/directory/roleAssignments/{t.object_id}"),
        current=lambda b: {"principal_id": b.get("principalId"), "role_definition_id": b.get("roleDefinitionId")},
        write=lambda t: Request("DELETE", f"/roleManagement/directory/roleAssignments/{t.object_id}")),
    # §2.2 (S21): PIM eligibility is removed by a schedule request with action adminRemove.
    Effect(
        name=EffectName.REMOVE_ELIGIBILITY, api="v1.0",
        reread=lambda t: Request("GET", "/roleManagement/directory/roleEligibilityScheduleInstances"
                                 f"?$filter=id eq '{t.object_id}'"),
        current=_eligibility, reread_is_list=True,
        write=lambda t: Request("POST", "/roleManagement/directory/roleEligibilityScheduleRequests", {
            "action": "adminRemove", "principalId": t.params["principal_id"],
            "roleDefinitionId": t.params.get("role_definition_id", GLOBAL_ADMINISTRATOR),
            "directoryScopeId": t.params.get("directory_scope_id", "/"),
            "justification": "closegate: closing the tenant"})),
    # §2.3: DELETE /users/{id}; synced users are refused while sync is on, so they wait for it.
    Effect(
        name=EffectName.DELETE_USER, api="v1.0",
        reread=lambda t: Request("GET", _select(f"/users/{t.object_id}",
                                                "id,userPrincipalName,displayName,onPremisesSyncEnabled")),
        current=_user,
        blocked=lambda cur: ("still synced from on-premises: it is deleted once the sync turn-off completes "
                             "(CG-005, up to 72 hours)") if cur.get("synced") else "",
        write=lambda t: Request("DELETE", f"/users/{t.object_id}")),
    # §2.3 (S25): permanent delete from the recycle bin.
    Effect(
        name=EffectName.PURGE_DELETED_ITEM, api="v1.0",
        reread=lambda t: Request("GET", f"/directory/deletedItems/{t.object_id}"),
        current=lambda b: {"display_name": b.get("displayName")},
        write=lambda t: Request("DELETE", f"/directory/deletedItems/{t.object_id}"),
        missing_reason="it is not in the recycle bin (not deleted yet, or already purged)",
        missing_is_final=False),
    # §5.1: beta only.
    Effect(
        name=EffectName.DISABLE_PER_USER_MFA, api="beta",
        reread=lambda t: Request("GET", f"/users/{t.object_id}/authentication/requirements"),
        current=lambda b: {"per_user_mfa_state": b.get("perUserMfaState")},
        satisfied=lambda cur: cur.get("per_user_mfa_state") == "disabled",
        write=lambda t: Request("PATCH", f"/users/{t.object_id}/authentication/requirements",
                                {"perUserMfaState": "disabled"}, idempotent=True),
        gone_means_done=False, missing_reason="the user no longer exists (deleted)"),
    # §5.2
    Effect(
        name=EffectName.DISABLE_SECURITY_DEFAULTS, api="v1.0", batchable=False,
        reread=lambda t: Request("GET", "/policies/identitySecurityDefaultsEnforcementPolicy"),
        current=lambda b: {"is_enabled": b.get("isEnabled")},
        satisfied=lambda cur: cur.get("is_enabled") is False,
        write=lambda t: Request("PATCH", "/policies/identitySecurityDefaultsEnforcementPolicy",
                                {"isEnabled": False}, idempotent=True),
        gone_means_done=False),
    # §5.3: 1 request/s per tenant for every app, 429 without Retry-After: paced, never batched.
    Effect(
        name=EffectName.DISABLE_CA_POLICY, api="v1.0", batchable=False, requests_per_second=1.0,
        reread=lambda t: Request("GET", f"/identity/conditionalAccess/policies/{t.object_id}"),
        current=lambda b: {"display_name": b.get("displayName"), "state": b.get("state")},
        satisfied=lambda cur: cur.get("state") == "disabled",
        write=lambda t: Request("PATCH", f"/identity/conditionalAccess/policies/{t.object_id}",
                                {"state": "disabled"}, idempotent=True),
        gone_means_done=False),
    # §6: deleting an application also removes its home-tenant service principal.
    Effect(
        name=EffectName.DELETE_APPLICATION, api="v1.0",
        reread=lambda t: Request("GET", _select(f"/applications/{t.object_id}", "id,appId,displayName")),
        current=lambda b: {"app_id": b.get("appId"), "display_name": b.get("displayName")},
        write=lambda t: Request("DELETE", f"/applications/{t.object_id}")),
    # §6 (S1, S35): some principals refuse deletion; S1 says to disable those instead.
    Effect(
        name=EffectName.DELETE_SERVICE_PRINCIPAL, api="v1.0",
        reread=lambda t: Request("GET", _select(f"/servicePrincipals/{t.object_id}", _SP_SELECT)),
        current=_sp,
        write=lambda t: Request("DELETE", f"/servicePrincipals/{t.object_id}"),
        fallback=lambda t: Request("PATCH", f"/servicePrincipals/{t.object_id}", {"accountEnabled": False},
                                   idempotent=True),
        fallback_note="deletion was refused, so it was disabled (accountEnabled=false) as S1 advises"),
    Effect(
        name=EffectName.DISABLE_SERVICE_PRINCIPAL, api="v1.0",
        reread=lambda t: Request("GET", _select(f"/servicePrincipals/{t.object_id}", _SP_SELECT)),
        current=_sp,
        satisfied=lambda cur: cur.get("account_enabled") is False,
        write=lambda t: Request("PATCH", f"/servicePrincipals/{t.object_id}", {"accountEnabled": False},
                                idempotent=True),
        gone_means_done=False),
    # Intune (graph-docs-contrib api-reference/v1.0/api/intune-devices-manageddevice-delete.md): delete the
    # managed device first; Autopilot refuses to deregister an enrolled device (MicrosoftDocs/memdocs
    # autopilot/includes/deregister-autopilot-device.md "Delete from Intune").
    Effect(
        name=EffectName.DELETE_MANAGED_DEVICE, api="v1.0",
        reread=lambda t: Request("GET", _select(f"/deviceManagement/managedDevices/{t.object_id}",
                                                "id,deviceName,serialNumber")),
        current=lambda b: {"serial_number": b.get("serialNumber"), "device_name": b.get("deviceName")},
        write=lambda t: Request("DELETE", f"/deviceManagement/managedDevices/{t.object_id}")),
    # intune-enrollment-windowsautopilotdeviceidentity-delete.md: 204; the deregistration "might take some
    # time" (memdocs), so the identity stays listed after the 204 and a 204 is an acceptance, not a result.
    Effect(
        name=EffectName.DELETE_AUTOPILOT_DEVICE, api="v1.0",
        reread=lambda t: Request("GET", _select(f"/deviceManagement/windowsAutopilotDeviceIdentities/{t.object_id}",
                                                "id,serialNumber,managedDeviceId")),
        current=lambda b: {"serial_number": b.get("serialNumber")},
        write=lambda t: Request("DELETE", f"/deviceManagement/windowsAutopilotDeviceIdentities/{t.object_id}"),
        accepted="deregistration accepted: Microsoft completes it asynchronously and the device stays listed "
                 "until then; audit again in a few minutes"),
    # §4.4: cancel is a POST; a cancelled subscription is Disabled, and deleting it later is a portal step.
    Effect(
        name=EffectName.CANCEL_AZURE_SUBSCRIPTION, api="arm", batchable=False,
        reread=lambda t: Request("GET", f"/subscriptions/{t.object_id}?api-version={ARM_LIST_VERSION}"),
        current=lambda b: {"display_name": b.get("displayName"), "state": b.get("state")},
        satisfied=lambda cur: cur.get("state") in ("Disabled", "Deleted"),
        write=lambda t: Request("POST", f"/subscriptions/{t.object_id}/providers/Microsoft.Subscription/cancel"
                                f"?api-version={ARM_CANCEL_VERSION}"),
        gone_means_done=False),
)}
