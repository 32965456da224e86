"""The composition root: settings, sign-in, the Graph and ARM clients and the tenant facade, wired once.

Every command that talks to a tenant (audit, plan, remediate, doctor, backup, close) and every test
that needs a signed-in view of one builds it here, so the order (sign in first, so a wrong secret is
"could not run" and not eighteen checks in ERROR), the grant kind and the facade's options cannot
drift between them. `config_path` is the one place that knows the default `./closegate.toml`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from closegate import tags

if TYPE_CHECKING:
    from closegate.auth import DeviceCodePrompt, MsalTokenProvider
    from closegate.config import Settings
    from closegate.graph import GraphClient, RequestStats
    from closegate.tenant import Tenant

__all__ = ["DEFAULT_CONFIG", "Session", "config_path", "open_session"]

DEFAULT_CONFIG = tags.DEFAULT_CONFIG


def config_path(given: Path | None) -> Path | None:
    """The configuration a command uses: the one given, else ./closegate.toml if it exists, else None
    (then closegate.config reads the AZURE_* environment)."""
    if given is not None:
        return given
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


@dataclass(frozen=True)
class Session:
    """One signed-in session: the settings, the token provider, the clients, and fresh tenant views.

    `reader()` returns a new, uncached facade each time: the executor and the final step re-read the
    tenant right before they write, so they must never see facts cached by an earlier read.
    """

    settings: Settings
    tokens: MsalTokenProvider
    graph: GraphClient
    arm: GraphClient
    stats: RequestStats
    tenant_type: type[Tenant]

    def reader(self) -> Tenant:
        s = self.settings
        return self.tenant_type(self.graph, self.arm, self.tokens, workers=min(4, s.concurrency),
                                backup_dir=s.backup_dir, backup_max_age=timedelta(days=s.backup_max_age_days),
                                backup_public_key=s.backup_public_key, closing_admin_upn=s.closing_admin_upn)

    def record_key(self) -> tags.RecordKey:
        """The key that tags the records this session writes ([records] key_file, closegate.tags)."""
        return tags.load_key(self.settings.record_key_file)

    def with_tenant_type(self, tenant_type: type[Tenant]) -> Session:
        return replace(self, tenant_type=tenant_type)


def open_session(config: Path | None = None, *, settings: Settings | None = None,
                 flags: Mapping[str, Any] | None = None, prompt: Callable[[DeviceCodePrompt], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, sign_in: bool = True,
                 tenant_type: type[Tenant] | None = None) -> Session:
    """Load the settings (unless given), sign in and connect. Raises ClosegateError (exit 2) on failure.

    `flags` are command-line settings (closegate.config); `sleep` is the Graph client's back-off wait,
    injectable so tests of throttling do not sleep; `prompt` shows a device code to the operator.
    """
    from closegate.auth import MsalTokenProvider
    from closegate.config import load_settings
    from closegate.graph import connect
    from closegate.tenant import Tenant

    if settings is None:
        settings = load_settings(config_path(config), flags=flags)
    tokens = MsalTokenProvider(settings, prompt=prompt) if prompt is not None else MsalTokenProvider(settings)
    if sign_in:
        tokens.token(settings.cloud.graph_resource)
    grant = "delegated" if settings.auth.method == "device_code" else "application"
    clients = connect(settings, tokens, grant_kind=grant, sleep=sleep)
    return Session(settings, tokens, clients.graph, clients.arm, clients.stats, tenant_type or Tenant)
