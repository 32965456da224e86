"""The `[signing]` and `[signoff]` tables of closegate.toml: who signs closegate's PDFs, who may approve.

```toml
[signing]                       # closegate's PAdES signature on report.pdf and go-certificate.pdf
key = "pki/closegate.key.pem"   # PEM or DER private key, relative to this file
certificate = "pki/closegate.cert.pem"
chain = ["pki/issuing-ca.pem"]  # intermediates, embedded so a validator can build the path
passphrase_env = "CLOSEGATE_SIGNING_PASSPHRASE"   # the variable holding the key's passphrase (the default)

[signoff]
required = 2
signatures = true               # default: true for a real tenant, false for cloud = "custom" (the emulator)
trust_anchors = ["pki/ca.pem"]  # CA certificates approvers' (and closegate's) PDF signatures chain to
allow = ["CN=Carla Diaz,O=Contoso", "SHA256:..."]   # approver identities; empty: anyone trusted
approvers = [{ name = "Carla Diaz", role = "Compliance officer" }]   # boxes printed on the report
```

A passphrase is never read from the file (it would sit beside the key it protects); `passphrase` in
the table is refused. closegate.config calls these with the environment it read, so this module
reads no environment of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from closegate.closure.policy import SignoffPolicy, identity_entry
from closegate.errors import ConfigError

__all__ = ["PASSPHRASE_ENV", "SIGNING_KEYS", "SIGNOFF_KEYS", "SigningSettings", "signing_settings", "signoff_policy"]

PASSPHRASE_ENV = "CLOSEGATE_SIGNING_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
SIGNING_KEYS = frozenset({"key", "certificate", "chain", "passphrase_env", "passphrase"})
SIGNOFF_KEYS = frozenset({"required", "signatures", "allow", "trust_anchors", "approvers"})


@dataclass(frozen=True)
class SigningSettings:
    key: Path
    certificate: Path
    chain: tuple[Path, ...]
    passphrase_env: str
    passphrase: bytes | None  # from the environment variable, never the file

    def __repr__(self) -> str:  # never show the passphrase, even in a traceback
        return f"SigningSettings(key={str(self.key)!r}, certificate={str(self.certificate)!r})"


def _paths(value: Any, key: str, base: Path) -> tuple[Path, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{key} must be a list of paths", f'write {key.split(".")[-1]} = ["ca.pem"]')
    return tuple((base / v.strip()).expanduser() for v in value)


def _path(table: Mapping[str, Any], name: str, base: Path) -> Path:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[signing] needs {name}, the path of the {name} (PEM)",
                          'write key = "closegate.key.pem" and certificate = "closegate.cert.pem"')
    return (base / value.strip()).expanduser()


def signing_settings(table: Mapping[str, Any], base: Path, env: Mapping[str, str]) -> SigningSettings | None:
    """The [signing] table, or None when there is none (closegate's PDFs are then unsigned)."""
    if not table:
        return None
    if "passphrase" in table:
        raise ConfigError("[signing] passphrase is not read from closegate.toml: it would sit beside the key",
                          f"remove it and set the environment variable {PASSPHRASE_ENV} (or the one "
                          "[signing] passphrase_env names)")
    variable = table.get("passphrase_env", PASSPHRASE_ENV)
    if not isinstance(variable, str) or not variable.strip():
        raise ConfigError("signing.passphrase_env must name an environment variable", f'write "{PASSPHRASE_ENV}"')
    secret = env.get(variable.strip())
    return SigningSettings(_path(table, "key", base), _path(table, "certificate", base),
                           _paths(table.get("chain", []), "signing.chain", base), variable.strip(),
                           secret.encode("utf-8") if secret else None)


def _approvers(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not all(
            isinstance(a, dict) and set(a) <= {"name", "role"} and all(isinstance(v, str) for v in a.values())
            for a in value):
        raise ConfigError("signoff.approvers must be a list of {name, role} tables",
                          'write approvers = [{ name = "Carla Diaz", role = "Compliance officer" }]')
    return tuple((a.get("name", "").strip(), a.get("role", "").strip()) for a in value)


def signoff_policy(table: Mapping[str, Any], base: Path, *, real_tenant: bool | None,
                   required: int) -> SignoffPolicy:
    """The [signoff] table; `required` is already validated by closegate.config. Without `signatures`
    in it, `real_tenant` decides (None: left to SignoffPolicy.signed_only, by the run's cloud)."""
    signatures = table.get("signatures", real_tenant)
    if signatures is not None and not isinstance(signatures, bool):
        raise ConfigError("signoff.signatures must be true or false",
                          "write signatures = true (every approval signed) or false")
    allow = table.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(a, str) and a.strip() for a in allow):
        raise ConfigError("signoff.allow must be a list of approver identities",
                          'write allow = ["CN=Carla Diaz,O=Contoso", "SHA256:..."]')
    return SignoffPolicy(required=required, signatures=signatures,
                         allow=frozenset(identity_entry(a) for a in allow),
                         trust_anchors=_paths(table.get("trust_anchors", []), "signoff.trust_anchors", base),
                         approvers=_approvers(table.get("approvers", [])))
