"""Writes DIR/closegate.toml for a running emulator, then DIR/ready.

The file is an ordinary closegate configuration (docs/internals.md "closegate.toml"): the emulator
changes only URLs and trust, never code paths, so the product reads it exactly as it would read the
configuration of a real tenant. `ready` is written last so a watcher never sees a half-written file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from closegate.emulator.apps import AppRegistry
from closegate.emulator.certs import Pki

__all__ = ["EmulatorEndpoints", "toml_string", "write_config"]

CONFIG_NAME = "closegate.toml"
READY_NAME = "ready"

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string; control characters and DEL are escaped as TOML requires."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return toml_string(value)


@dataclass(frozen=True)
class EmulatorEndpoints:
    base_url: str  # "https://127.0.0.1:PORT"
    tenant_id: str
    scenario: str
    admin_upn: str  # the scenario's closing administrator ([tenant] closing_admin)

    @property
    def operator_url(self) -> str:
        return f"{self.base_url}/_emulator"


def _render(tables: list[tuple[str, dict[str, str | int | bool]]]) -> str:
    lines = ["# Written by `closegate emulator serve`: a closegate configuration for the local emulator.", ""]
    for name, values in tables:
        lines.append(f"[{name}]")
        lines += [f"{key} = {_value(value)}" for key, value in values.items()]
        lines.append("")
    return "\n".join(lines)


def write_config(directory: Path, endpoints: EmulatorEndpoints, registry: AppRegistry, pki: Pki) -> Path:
    """Write closegate.toml (RW app as [auth], the closing admin in [tenant], the rest in [emulator]), then `ready`."""
    directory.mkdir(parents=True, exist_ok=True)
    base = endpoints.base_url
    rw, ro, cert, public = registry.read_write, registry.read_only, registry.certificate, registry.public
    text = _render([
        # The scenario's closing admin is who an operator of this tenant would name, so app sign-in
        # audits it exactly as it would a real tenant configured the same way.
        ("tenant", {"id": endpoints.tenant_id, "cloud": "custom", "closing_admin": endpoints.admin_upn}),
        ("cloud", {"authority_host": base, "graph_url": base, "graph_resource": "https://graph.microsoft.com",
                   "arm_url": base, "arm_resource": "https://management.azure.com",
                   "ca_bundle": str(pki.ca_path)}),
        ("auth", {"method": "client_secret", "client_id": rw.client_id, "client_secret": rw.secret or ""}),
        ("audit", {"max_age_minutes": 15}),
        ("backup", {"dir": "backup", "max_age_days": 7}),
        ("signoff", {"required": 1}),
        ("emulator", {
            "operator_url": endpoints.operator_url,
            "scenario": endpoints.scenario,
            "readonly_client_id": ro.client_id,
            "readonly_client_secret": ro.secret or "",
            "public_client_id": public.client_id,
            "admin_user_principal_name": endpoints.admin_upn,
            "certificate_client_id": cert.client_id,
            "certificate_key_path": str(pki.app_key_path),
            "certificate_cert_path": str(pki.app_cert_path),
            "certificate_pfx_path": str(pki.app_pfx_path),
            "certificate_pfx_password": pki.app_pfx_password,
            "certificate_thumbprint": pki.app_thumbprint_sha1_hex,
        }),
    ])
    config = directory / CONFIG_NAME
    partial = directory / f".{CONFIG_NAME}.partial"
    _write_private(partial, text)  # it holds client secrets
    os.replace(partial, config)
    _write_private(directory / READY_NAME, base + "\n")
    return config


def _write_private(path: Path, text: str) -> None:
    # 0600 from creation on, as every file closegate writes (the demo's output folder holds these too).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
