"""The action catalog: collected explicitly from the check modules, ordered, and known to the permissions."""

from __future__ import annotations

import pytest

from closegate import permissions
from closegate.emulator.apps import READ_WRITE_ROLES
from closegate.models import Step
from closegate.remediation.actions import Kind, Reversibility, action, action_catalog
from closegate.remediation.effects import EFFECTS


def test_actions_are_in_microsofts_order_and_name_known_effects() -> None:
    actions = action_catalog()
    assert [a.step for a in actions] == sorted(a.step for a in actions)
    for a in actions:
        assert (a.effect in EFFECTS) if a.kind is Kind.AUTOMATED else not a.effect
    ids = [a.id for a in actions]
    assert ids.index("turn_off_directory_sync") < ids.index("delete_users")


def test_permissions_include_the_actions_for_remediate() -> None:
    needed = {n.qualified for n in permissions.needed("remediate")}
    assert {"graph:User.DeleteRestore.All", "graph:Policy.ReadWrite.ConditionalAccess"} <= needed
    assert permissions.missing(READ_WRITE_ROLES | {permissions.ARM_ACCESS}, "remediate") == ()


def test_a_deleting_action_without_the_backup_requirement_is_refused() -> None:
    with pytest.raises(ValueError, match="CG-002"):
        action(id="wipe_things", title="t", fixes="CG-004", kind=Kind.AUTOMATED, step=Step.DELETE_USERS,
               reversibility=Reversibility.IRREVERSIBLE, effect="delete_user")


def test_a_manual_action_without_portal_steps_is_refused() -> None:
    with pytest.raises(ValueError, match="portal"):
        action(id="do_by_hand", title="t", fixes="CG-013", kind=Kind.MANUAL, step=Step.DELETE_DIRECTORY,
               reversibility=Reversibility.REVERSIBLE)
