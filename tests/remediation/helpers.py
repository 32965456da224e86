"""Shared helpers of the remediation tests: a signed-in session on an emulator whose backup check passes.

The backup feature is tested on its own; here CG-002 must PASS so the deleting actions may run, so the
reader reports a verified backup taken at the tenant's current time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from closegate.config import load_settings
from closegate.facts import DEVICES, GROUPS, ORGANIZATION, USERS, Backup, ContentAttestation
from closegate.session import Session, open_session
from closegate.tenant import Tenant

__all__ = ["BackedUpTenant", "session_for"]


class BackedUpTenant(Tenant):
    """A verified backup holding every user, group and device, taken now, with all content attested."""

    def _backup(self) -> Backup | None:
        now = self.now()
        users = frozenset(u.id for u in self.read(USERS))
        groups = frozenset(g.id for g in self.read(GROUPS))
        content = ContentAttestation(scope="", tool="test", location="test-backup", taken=now, by="tests")
        return Backup(taken=now, location="test-backup", items=len(users) + len(groups), bytes=1, verified=True,
                      max_age=timedelta(days=7), tenant_id=self.read(ORGANIZATION).id, user_ids=users,
                      group_ids=groups, device_ids=frozenset(d.id for d in self.read(DEVICES)),
                      content_attestations=(content,))


def session_for(config_path: Path, *, backed_up: bool = True, concurrency: int | None = None,
                config_admin: bool = False) -> Session:
    """A session on the emulator. The emulator's closegate.toml names the closing admin; these tests name
    it (or not) in the plan itself, so the configured one is dropped unless `config_admin`."""
    settings = load_settings(config_path)
    if concurrency is not None:
        settings = replace(settings, concurrency=concurrency)
    if not config_admin:
        settings = replace(settings, closing_admin_upn=None)
    return open_session(settings=settings, sign_in=False, tenant_type=BackedUpTenant if backed_up else Tenant)
