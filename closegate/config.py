"""Settings: the one place closegate reads its configuration (flags, closegate.toml, AZURE_* environment).

Precedence is flags, then the file, then the environment: an explicit file describes one tenant and
one app registration, so an ambient `AZURE_CLIENT_SECRET` left in a shell for another app must not
override it; the environment only fills what the file leaves out (the file format's own advice is
"client_secret = ... or set AZURE_CLIENT_SECRET"). This module is the only reader of `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from closegate import tags
from closegate.closure.policy import SignoffPolicy
from closegate.config_signing import SIGNING_KEYS, SIGNOFF_KEYS, SigningSettings, signing_settings, signoff_policy
from closegate.errors import ConfigError

__all__ = [
    "AUTH_METHODS",
    "CLOUDS",
    "RECORD_KEY_ENV",
    "AuthSettings",
    "Cloud",
    "LocalSettings",
    "Secret",
    "Settings",
    "SignoffPolicy",
    "SigningSettings",
    "load_settings",
    "local_settings",
    "record_key_file",
    "signing_files",
]

AUTH_METHODS = ("client_secret", "certificate", "device_code")
# Where closegate's record key is (closegate.tags); set by the tests so that no test touches the real home.
RECORD_KEY_ENV = tags.RECORD_KEY_ENV
GRAPH_RESOURCE = "https://graph.microsoft.com"
ARM_RESOURCE = "https://management.azure.com"


class Secret:
    """A secret string whose repr and str are masked, so it cannot leak through logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


@dataclass(frozen=True)
class Cloud:
    """Where one Microsoft cloud lives: sign-in host, Graph and ARM roots and the token audiences."""

    name: str
    authority_host: str  # "https://login.microsoftonline.com"
    graph_url: str  # Graph root without the version segment
    graph_resource: str  # token audience; scope = resource + "/.default"
    arm_url: str
    arm_resource: str
    portal_host: str
    ca_bundle: Path | None = None  # only for custom clouds (the emulator)

    @property
    def is_custom(self) -> bool:
        return self.name == "custom"


# graph-facts §9 (authority hosts, Graph roots, portals; GCC moderate uses the global endpoints).
# ARM roots for the US Government and China clouds are not in graph-facts; they come from the Azure
# SDK's cloud table (Azure/azure-sdk-for-js sdk/commerce/arm-commerce/src/static-helpers/
# cloudSettingHelpers.ts: management.usgovcloudapi.net, management.chinacloudapi.cn).
CLOUDS: Mapping[str, Cloud] = {
    "global": Cloud(
        "global", "https://login.microsoftonline.com", "https://graph.microsoft.com",
        GRAPH_RESOURCE, "https://management.azure.com", ARM_RESOURCE, "portal.azure.com",
    ),
    "usgov": Cloud(
        "usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us",
        "https://graph.microsoft.us", "https://management.usgovcloudapi.net",
        "https://management.usgovcloudapi.net", "portal.azure.us",
    ),
    "usgovdod": Cloud(
        "usgovdod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
        "https://dod-graph.microsoft.us", "https://management.usgovcloudapi.net",
        "https://management.usgovcloudapi.net", "portal.azure.us",
    ),
    "china": Cloud(
        "china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn",
        "https://microsoftgraph.chinacloudapi.cn", "https://management.chinacloudapi.cn",
        "https://management.chinacloudapi.cn", "portal.azure.cn",
    ),
}


@dataclass(frozen=True)
class AuthSettings:
    method: str
    client_id: str
    client_secret: Secret | None = None
    certificate_path: Path | None = None
    certificate_password: Secret | None = None
    send_certificate_chain: bool = False


@dataclass(frozen=True)
class Settings:
    tenant_id: str
    cloud: Cloud
    auth: AuthSettings
    token_cache_path: Path  # device-code token cache (mode 0600)
    concurrency: int = 64  # ceiling of concurrent Graph requests; the limiter finds what Graph allows below it
    timeout_seconds: float = 30.0  # every HTTP request, sign-in included
    audit_max_age_minutes: int = 15
    backup_dir: Path = Path("backup")
    backup_max_age_days: int = 7
    # [backup] public_key: when set, CG-002 counts a backup only if its manifest signature verifies
    # with this key, so a backup rewritten by someone without the signing key never counts.
    backup_public_key: Path | None = None
    # [backup] recipient: the age public key (age1...) secret material such as BitLocker recovery keys
    # is encrypted to; "" means such material is never read (closegate.backup.secrets).
    backup_recipient: str = ""
    signoff_required: int = 1
    # [tenant] closing_admin: with app sign-in no token says which Global Administrator will delete
    # the tenant, so the administrator names that account once here instead of on every `plan`.
    closing_admin_upn: str | None = None
    # [records] key_file: the key that tags the runs, plans, journals and sign-offs closegate writes
    # (closegate.tags); outside every output folder, so whoever can edit those cannot re-tag them.
    record_key_file: Path = Path("record.key")
    # [signing]: closegate's PAdES signature on its PDFs (None: unsigned); [signoff]: who may approve
    # (closegate.config_signing).
    signing: SigningSettings | None = None
    signoff: SignoffPolicy = field(default_factory=SignoffPolicy)
    source: Path | None = None  # the file the settings came from, for messages
    emulator: Mapping[str, Any] = field(default_factory=dict)  # [emulator] table, read by tests/demo


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")
# A user principal name is local@domain (Entra: at most 113 characters before the @); the local part
# may hold #EXT# and other characters Entra allows, but never whitespace or a second @.
_UPN_LOCAL = re.compile(r"^[^@\s]{1,113}$")

# Allowed keys per table; [emulator] is free-form because only tests and the demo read it.
_SCHEMA: Mapping[str, frozenset[str]] = {
    "tenant": frozenset({"id", "cloud", "closing_admin"}),
    "cloud": frozenset({"authority_host", "graph_url", "graph_resource", "arm_url", "arm_resource",
                        "ca_bundle", "portal_host"}),
    "auth": frozenset({"method", "client_id", "client_secret", "certificate_path",
                       "certificate_password", "send_certificate_chain"}),
    "audit": frozenset({"max_age_minutes"}),
    "backup": frozenset({"dir", "max_age_days", "public_key", "recipient"}),
    "signoff": SIGNOFF_KEYS,
    "signing": SIGNING_KEYS,
    "records": frozenset({"key_file"}),
    "state": frozenset({"dir"}),
    "graph": frozenset({"concurrency", "timeout_seconds"}),
}
_FLAG_KEYS = frozenset({"tenant_id", "cloud", "client_id", "client_secret", "auth_method",
                        "certificate_path", "certificate_password", "send_certificate_chain",
                        "concurrency", "timeout_seconds"})


def load_settings(
    config_path: Path | str | None = None,
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings; every problem is a ConfigError that says which key and how to fix it.

    `flags` holds command-line values by name (tenant_id, cloud, client_id, client_secret, ...);
    None values mean "not given". `environ` defaults to the process environment.
    """
    env = dict(os.environ if environ is None else environ)
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    unknown_flags = set(given) - _FLAG_KEYS
    if unknown_flags:
        raise ConfigError(f"unknown setting(s) {', '.join(sorted(unknown_flags))}",
                          f"use one of {', '.join(sorted(_FLAG_KEYS))}")
    path = Path(config_path) if config_path is not None else None
    doc = _read_toml(path) if path is not None else {}
    base = path.parent if path is not None else Path.cwd()
    tenant_t, cloud_t, auth_t = doc.get("tenant", {}), doc.get("cloud", {}), doc.get("auth", {})
    graph_t = doc.get("graph", {})

    tenant_id = _first(given.get("tenant_id"), tenant_t.get("id"), env.get("AZURE_TENANT_ID"))
    if not tenant_id and path is None:
        raise ConfigError(f"no configuration found: there is no {Path.cwd() / 'closegate.toml'} and "
                          "AZURE_TENANT_ID is not set",
                          "write one with `closegate init --tenant TENANT --client-id APP_ID`, pass --config PATH, "
                          "or set AZURE_TENANT_ID and AZURE_CLIENT_ID")
    if not tenant_id:
        raise ConfigError(f"no tenant given in {path}", f"set [tenant] id in {path} or set AZURE_TENANT_ID")
    tenant_id = _valid_tenant(str(tenant_id))
    cloud = _cloud(str(_first(given.get("cloud"), tenant_t.get("cloud"), "global")), cloud_t, base)
    auth = _auth(given, auth_t, env, base)
    concurrency = _int(_first(given.get("concurrency"), graph_t.get("concurrency"), 64),
                       "graph.concurrency", 1, 256)
    timeout = float(_first(given.get("timeout_seconds"), graph_t.get("timeout_seconds"), 30.0))
    if not 1 <= timeout <= 600:
        raise ConfigError(f"graph.timeout_seconds {timeout} is out of range", "use 1 to 600 seconds")
    signing, policy = _signing(doc, base, env, real_tenant=not cloud.is_custom)
    return Settings(
        tenant_id=tenant_id,
        cloud=cloud,
        auth=auth,
        token_cache_path=_cache_dir(env) / f"token-cache-{_slug(tenant_id)}-{_slug(auth.client_id)}.json",
        concurrency=concurrency,
        timeout_seconds=timeout,
        audit_max_age_minutes=_int(doc.get("audit", {}).get("max_age_minutes", 15),
                                   "audit.max_age_minutes", 1, 24 * 60),
        backup_dir=base / str(doc.get("backup", {}).get("dir", "backup")),
        backup_max_age_days=_int(doc.get("backup", {}).get("max_age_days", 7), "backup.max_age_days", 0, 365),
        backup_public_key=_public_key(doc.get("backup", {}).get("public_key"), base),
        backup_recipient=_recipient(doc.get("backup", {}).get("recipient", "")),
        signoff_required=policy.required,
        signing=signing,
        signoff=policy,
        closing_admin_upn=_closing_admin(tenant_t.get("closing_admin")),
        record_key_file=_record_key_file(doc, base, env),
        source=path,
        emulator=dict(doc.get("emulator", {})),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    doc = tags.read_toml(path)
    for table, value in doc.items():
        if table == "emulator":
            continue
        if table not in _SCHEMA:
            raise ConfigError(f"{path}: unknown table [{table}]",
                              f"remove it; known tables are {', '.join(sorted(_SCHEMA))}, emulator")
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {table} must be a table", f"write it as [{table}]")
        extra = set(value) - _SCHEMA[table]
        if extra:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(extra))} in [{table}]",
                              f"remove them; [{table}] accepts {', '.join(sorted(_SCHEMA[table]))}")
    return doc


def _valid_tenant(value: str) -> str:
    value = value.strip()
    if _GUID.match(value):
        return value.lower()
    if _DOMAIN.match(value):
        return value.lower()
    if value.lower() in {"common", "organizations", "consumers"}:
        raise ConfigError(f"tenant {value!r} is a multi-tenant alias",
                          "give the tenant's GUID or its verified domain (contoso.onmicrosoft.com)")
    raise ConfigError(f"tenant {value!r} is neither a GUID nor a domain name",
                      "give the tenant's GUID (Entra admin center > Overview > Tenant ID) or verified domain")


def _closing_admin(value: Any) -> str | None:
    """The configured closing administrator's UPN, or None when the key is absent."""
    if value is None:
        return None
    fix = 'write the UPN of the Global Administrator who will delete the tenant: closing_admin = "admin@contoso.com"'
    if not isinstance(value, str):
        raise ConfigError("tenant.closing_admin must be a string", fix)
    upn = value.strip()
    local, at, domain = upn.rpartition("@")
    if not at or not _UPN_LOCAL.match(local) or not _DOMAIN.match(domain):
        raise ConfigError(f"tenant.closing_admin {value!r} is not a user principal name (name@domain)", fix)
    return upn


def _recipient(value: Any) -> str:
    """[backup] recipient as written; closegate.backup.secrets checks it is an age key before any read."""
    if not isinstance(value, str):
        raise ConfigError("backup.recipient must be a string", 'write recipient = "age1..." (from age-keygen)')
    return value.strip()


def _public_key(value: Any, base: Path) -> Path | None:
    """[backup] public_key resolved against the file's folder; its content is read by CG-002."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("backup.public_key must be a path", 'write public_key = "signer.pub.pem"')
    path = (base / value.strip()).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"backup.public_key {path} does not exist",
                          "point it at the Ed25519 public key (PEM) of the key given to `closegate backup "
                          "--sign-key` (openssl pkey -in signer.pem -pubout), or remove the setting")
    return path


def _cloud(name: str, table: Mapping[str, Any], base: Path) -> Cloud:
    if name in CLOUDS:
        if table:
            raise ConfigError(f"[cloud] is set but tenant.cloud is {name!r}",
                              'remove [cloud], or set cloud = "custom" to use its URLs')
        return CLOUDS[name]
    if name != "custom":
        raise ConfigError(f"unknown cloud {name!r}",
                          "use one of global, usgov, usgovdod, china or custom")
    missing = [k for k in ("authority_host", "graph_url", "arm_url") if not table.get(k)]
    if missing:
        raise ConfigError(f"cloud = \"custom\" needs {', '.join(missing)} in [cloud]",
                          "add them (the emulator writes all of them)")
    urls = {k: _https(str(table[k]), f"cloud.{k}") for k in ("authority_host", "graph_url", "arm_url")}
    ca = table.get("ca_bundle")
    ca_path = (base / str(ca)).resolve() if ca else None
    if ca_path is not None and not ca_path.is_file():
        raise ConfigError(f"cloud.ca_bundle {ca_path} does not exist",
                          "point it at the PEM CA bundle of the custom cloud")
    return Cloud(
        name="custom",
        authority_host=urls["authority_host"],
        graph_url=urls["graph_url"],
        graph_resource=str(table.get("graph_resource", GRAPH_RESOURCE)).rstrip("/"),
        arm_url=urls["arm_url"],
        arm_resource=str(table.get("arm_resource", ARM_RESOURCE)).rstrip("/"),
        portal_host=str(table.get("portal_host", "portal.azure.com")),
        ca_bundle=ca_path,
    )


def _https(url: str, key: str) -> str:
    # msal accepts https authorities only (local-emulation.md P6); Graph tokens must not travel in clear.
    if not re.match(r"^https://[^/\s]+/?$", url):
        raise ConfigError(f"{key} {url!r} must be an https URL without a path",
                          "write it as https://host[:port]")
    return url.rstrip("/")


def _auth(given: Mapping[str, Any], table: Mapping[str, Any], env: Mapping[str, str], base: Path) -> AuthSettings:
    client_id = _first(given.get("client_id"), table.get("client_id"), env.get("AZURE_CLIENT_ID"))
    if not client_id:
        raise ConfigError("no client id given",
                          "set [auth] client_id, pass --client-id or set AZURE_CLIENT_ID "
                          "(the Application (client) ID of the app registration)")
    if not _GUID.match(str(client_id)):
        raise ConfigError(f"client id {client_id!r} is not a GUID",
                          "use the Application (client) ID shown on the app registration's overview")
    secret = _first(given.get("client_secret"), table.get("client_secret"), env.get("AZURE_CLIENT_SECRET"))
    cert = _first(given.get("certificate_path"), table.get("certificate_path"),
                  env.get("AZURE_CLIENT_CERTIFICATE_PATH"))
    password = _first(given.get("certificate_password"), table.get("certificate_password"),
                      env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD"))
    method = _first(given.get("auth_method"), table.get("method"))
    if method is None:
        method = "client_secret" if secret else "certificate" if cert else "device_code"
    if method not in AUTH_METHODS:
        raise ConfigError(f"unknown auth.method {method!r}", f"use one of {', '.join(AUTH_METHODS)}")
    cert_path: Path | None = None
    if method == "client_secret" and not secret:
        raise ConfigError("auth.method is client_secret but no secret is configured",
                          "set AZURE_CLIENT_SECRET (preferred) or [auth] client_secret")
    if method == "certificate":
        if not cert:
            raise ConfigError("auth.method is certificate but no certificate is configured",
                              "set [auth] certificate_path or AZURE_CLIENT_CERTIFICATE_PATH "
                              "(PEM with key and certificate, or .pfx)")
        cert_path = (base / str(cert)).expanduser().resolve()
        if not cert_path.is_file():
            raise ConfigError(f"certificate file {cert_path} does not exist",
                              "point certificate_path at the PEM or PFX file")
    chain = _first(given.get("send_certificate_chain"), table.get("send_certificate_chain"), False)
    if not isinstance(chain, bool):
        raise ConfigError("auth.send_certificate_chain must be true or false", "write true or false")
    return AuthSettings(
        method=str(method),
        client_id=str(client_id).lower(),
        client_secret=Secret(str(secret)) if secret and method == "client_secret" else None,
        certificate_path=cert_path,
        certificate_password=Secret(str(password)) if password else None,
        send_certificate_chain=chain,
    )


@dataclass(frozen=True)
class LocalSettings:
    """What a command that signs in to nothing needs of the configuration (attest, an offline audit).

    `state_dir` ([state] dir): where attestations are kept, so every `closegate audit` of this
    configuration finds them whatever its --out (closegate.attestations); default: the file's folder.
    """

    state_dir: Path
    record_key_file: Path
    closing_admin_upn: str | None
    backup_public_key: Path | None
    backup_max_age_days: int
    source: Path | None


def local_settings(config_path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> LocalSettings:
    """The settings of `config_path` that need no credentials; without a file, those of the environment.

    No [auth] is read, so `closegate attest` and `closegate audit --from-backup` run where no secret is.
    """
    env = dict(os.environ if environ is None else environ)
    doc = _read_toml(config_path) if config_path is not None else {}
    base = config_path.parent if config_path is not None else Path.cwd()
    tenant = doc.get("tenant", {}).get("id") or env.get("AZURE_TENANT_ID") or ""
    backup = doc.get("backup", {})
    return LocalSettings(
        state_dir=_state_dir(doc, config_path, env, _valid_tenant(str(tenant)) if tenant else ""),
        record_key_file=_record_key_file(doc, base, env),
        closing_admin_upn=_closing_admin(doc.get("tenant", {}).get("closing_admin")),
        backup_public_key=_public_key(backup.get("public_key"), base),
        backup_max_age_days=_int(backup.get("max_age_days", 7), "backup.max_age_days", 0, 365),
        source=config_path)


def _state_dir(doc: Mapping[str, Any], path: Path | None, env: Mapping[str, str], tenant_id: str) -> Path:
    """[state] dir (relative to the file), else the file's folder; with no file, a folder per tenant in
    $XDG_STATE_HOME/closegate, so an environment-only configuration still has one place."""
    value = doc.get("state", {}).get("dir")
    if value is not None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("state.dir must be a path", 'write dir = "/srv/closegate/contoso"')
        base = path.parent if path is not None else Path.cwd()
        return (base / value.strip()).expanduser().resolve()
    if path is not None:
        return path.parent.resolve()
    root = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(root) / "closegate" / "tenants" / (_slug(tenant_id) or "no-tenant")


def record_key_file(config_path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The record key's path for a command that loads no full settings (signoff, report, a dry run).

    $CLOSEGATE_RECORD_KEY, else `[records] key_file` of the configuration file (only that table is
    read: such a command needs no credentials), else $XDG_STATE_HOME/closegate/record.key.
    """
    env = dict(os.environ if environ is None else environ)
    doc = _read_toml(config_path) if config_path is not None else {}
    return _record_key_file(doc, config_path.parent if config_path is not None else Path.cwd(), env)


def signing_files(config_path: Path | None = None, *,
                  environ: Mapping[str, str] | None = None) -> tuple[SigningSettings | None, SignoffPolicy]:
    """[signing] and [signoff] for a command that signs in to no tenant (report, signoff, verify): only
    those tables and [tenant] cloud are read, so such a command needs no credentials."""
    env = dict(os.environ if environ is None else environ)
    doc = _read_toml(config_path) if config_path is not None else {}
    cloud = doc.get("tenant", {}).get("cloud")
    base = config_path.parent if config_path is not None else Path.cwd()
    # Without a cloud in the file (or without a file), the run's own cloud decides (SignoffPolicy.signed_only).
    return _signing(doc, base, env, real_tenant=None if cloud is None else cloud != "custom")


def _signing(doc: Mapping[str, Any], base: Path, env: Mapping[str, str], *,
             real_tenant: bool | None) -> tuple[SigningSettings | None, SignoffPolicy]:
    # A real tenant requires signed approvals unless the file says otherwise: a name typed on a command
    # line proves nothing about who approved. The emulator (cloud = "custom") defaults to unsigned.
    table = doc.get("signoff", {})
    required = _int(table.get("required", 1), "signoff.required", 0, 10)
    return (signing_settings(doc.get("signing", {}), base, env),
            signoff_policy(table, base, real_tenant=real_tenant, required=required))


def _record_key_file(doc: Mapping[str, Any], base: Path, env: Mapping[str, str]) -> Path:
    return tags.key_file(doc.get("records", {}), base, env)


def _cache_dir(env: Mapping[str, str]) -> Path:
    root = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(root) / "closegate"


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9.-]", "_", value.lower())


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


def _int(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{key} must be a whole number", f"use {low} to {high}")
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{key} {value!r} is not a whole number", f"use {low} to {high}") from exc
    if not low <= number <= high:
        raise ConfigError(f"{key} {number} is out of range", f"use {low} to {high}")
    return number
