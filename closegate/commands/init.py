"""`closegate init`: write a commented closegate.toml for a real tenant, without ever writing a secret.

The file is the same shape the emulator writes (docs/internals.md), so a configuration that works in
the demo works for a real tenant with only the values changed. A client secret is never accepted on
the command line (it would land in shell history) nor written to the file (it would land in backups
and tickets): the file points at AZURE_CLIENT_SECRET instead. Before anything is written the text is
loaded with closegate.config, so `init` cannot produce a file that `audit` would then reject.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import click

from closegate import __version__
from closegate.commands._common import fail
from closegate.config import AUTH_METHODS, CLOUDS, load_settings
from closegate.errors import ClosegateError, ConfigError
from closegate.files import write_atomic

__all__ = ["register", "render"]

DEFAULT_PATH = Path("closegate.toml")
_CLOUD_NOTES = "global (also Microsoft 365 GCC) | usgov (GCC High) | usgovdod (DoD) | china (21Vianet)"
# Stand-in used only to prove the file loads; it never reaches the file or the disk.
_PROBE_SECRET = "closegate-init-validation-only"


def _quote(value: str) -> str:
    # A TOML basic string: JSON's escapes (\" \\ \uXXXX) are valid TOML escapes.
    return json.dumps(value, ensure_ascii=True)


def _auth_lines(method: str, client_id: str, certificate: str | None) -> list[str]:
    lines = [
        "[auth]",
        f"method = {_quote(method):<24} # {' | '.join(AUTH_METHODS)}",
        f"client_id = {_quote(client_id)}  # Application (client) ID of the app registration",
    ]
    if method == "client_secret":
        lines += [
            "# The client secret is NOT stored here. Set it in the environment of the shell that runs",
            "# closegate:  export AZURE_CLIENT_SECRET='...'   (Certificates & secrets > Client secrets)",
            "# Prefer certificate authentication for a production tenant (method = \"certificate\").",
        ]
    elif method == "certificate":
        lines += [
            f"certificate_path = {_quote(certificate or '')}  # PEM (private key + certificate) or .pfx",
            "# A PFX or encrypted key password is read from AZURE_CLIENT_CERTIFICATE_PASSWORD, never from here.",
            "# Upload the certificate (public part only) under Certificates & secrets > Certificates.",
            "send_certificate_chain = false  # true: subject name + issuer authentication (x5c)",
        ]
    else:
        lines += [
            "# device_code: an administrator signs in at https://microsoft.com/devicelogin when prompted.",
            "# The app registration must allow public client flows (Authentication > Advanced settings).",
            "# The sign-in is cached (mode 0600) under $XDG_CACHE_HOME/closegate.",
        ]
    return lines


def render(*, tenant: str, client_id: str, method: str, cloud: str, certificate: str | None = None,
           backup_dir: str = "backup", signoffs: int = 1, audit_max_age_minutes: int = 15,
           backup_max_age_days: int = 7, now: datetime | None = None) -> str:
    """The text of closegate.toml: every value commented with what it means and where to find it."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# closegate.toml, written by `closegate init` (closegate {__version__}) on {stamp}.",
        "# Check it with `closegate doctor`; it holds no secret and may be kept with the closure evidence.",
        "",
        "[tenant]",
        f"id = {_quote(tenant)}  # tenant GUID (Entra admin center > Overview > Tenant ID) or verified domain",
        f"cloud = {_quote(cloud)}  # {_CLOUD_NOTES}",
        "# The Global Administrator who will delete the tenant in the Entra admin center. An app cannot",
        "# delete a tenant, and with app sign-in nothing tells closegate who will: name that account here",
        "# (a member of this directory holding an active Global Administrator assignment) so the checks",
        "# and `closegate plan` keep it. Unset, they take the one user holding the role, if only one does.",
        '# closing_admin = "admin@contoso.onmicrosoft.com"',
        "",
        *_auth_lines(method, client_id, certificate),
        "",
        "[audit]",
        f"max_age_minutes = {audit_max_age_minutes}  # how old a run may be for `plan` and `close` to rely on it",
        "",
        "[backup]",
        f"dir = {_quote(backup_dir)}  # where `closegate backup` writes; relative to this file",
        f"max_age_days = {backup_max_age_days}  # CG-002 fails when the newest verified backup is older",
        "# With a public key set, CG-002 counts the backup only if `closegate backup --sign-key` signed it",
        "# and the signature verifies with this key (openssl pkey -in signer.pem -pubout -out signer.pub.pem).",
        '# public_key = "signer.pub.pem"',
        "",
        "[signoff]",
        f"required = {signoffs}  # approvals `closegate close` needs, each bound to the run's hash",
        "signatures = true  # each approval signed: a PDF signature (signoff --pdf) or an Ed25519 key",
        "# The CA certificates (PEM) approvers' PDF signatures, and closegate's own, must chain to:",
        '# trust_anchors = ["pki/ca.pem"]',
        "# Who may approve: certificate subjects (RFC 4514), fingerprints (SHA256:...) or Ed25519 public keys;",
        "# empty: anyone whose signature chains to the trust anchors.",
        '# allow = ["CN=Carla Diaz,O=Contoso Ltd", "SHA256:..."]',
        "# The boxes printed on the report's sign-off page (default: one blank box per required approval):",
        '# approvers = [{ name = "Carla Diaz", role = "Compliance officer" }]',
        "",
        "# closegate's PAdES signature on report.pdf and go-certificate.pdf (the run hash in the signed content).",
        "# The key's passphrase is read from the environment variable passphrase_env names, never from here.",
        "# [signing]",
        '# key = "pki/closegate.key.pem"',
        '# certificate = "pki/closegate.cert.pem"',
        '# chain = ["pki/issuing-ca.pem"]',
        '# passphrase_env = "CLOSEGATE_SIGNING_PASSPHRASE"',
        "",
        "[records]",
        "# The key that tags every run, plan, journal and sign-off closegate writes, so a file edited after",
        "# it was written is named as edited and `close` and `remediate --apply` refuse it. It lives outside",
        "# the output folders (default $XDG_STATE_HOME/closegate/record.key, created 0600 on first use); an",
        "# officer signing off on another machine needs the same key to record an approval close accepts.",
        '# key_file = "/secure/closegate/record.key"',
        "",
    ]
    return "\n".join(lines)


def _validate(text: str, directory: Path, method: str) -> None:
    """Load the text exactly as `audit` will; a ConfigError here means nothing is written."""
    environ = {"AZURE_CLIENT_SECRET": _PROBE_SECRET} if method == "client_secret" else {}
    fd, name = tempfile.mkstemp(dir=directory, prefix=".closegate-init.", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        load_settings(Path(name), environ=environ)
    finally:
        os.unlink(name)


def write_config(out: Path, text: str, *, force: bool) -> None:
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists", "pass --force to replace it, or --out to write elsewhere")
    # The configuration holds no secret (init never writes one) and other admins may read it.
    write_atomic(out, text, mode=0o644)


def _certificate_value(certificate: Path, out: Path) -> str:
    # Relative to the config file when it sits beside or below it, so the folder can be moved whole.
    absolute = certificate.resolve()
    try:
        return str(absolute.relative_to(out.resolve().parent))
    except ValueError:
        return str(absolute)


def register(group: click.Group) -> None:
    @group.command("init")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_PATH,
                  show_default=True, help="Where to write the configuration.")
    @click.option("--tenant", prompt="Tenant ID (GUID) or verified domain",
                  help="Tenant GUID (Entra admin center > Overview) or a verified domain.")
    @click.option("--client-id", prompt="Application (client) ID of the app registration",
                  help="Application (client) ID of the app registration closegate signs in with.")
    @click.option("--auth", "method", type=click.Choice(AUTH_METHODS), default="client_secret", show_default=True,
                  help="How closegate signs in (the secret itself always comes from AZURE_CLIENT_SECRET).")
    @click.option("--certificate", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                  help="With --auth certificate: the PEM (key + certificate) or PFX file.")
    @click.option("--cloud", type=click.Choice(sorted(CLOUDS)), default="global", show_default=True,
                  help="The Microsoft cloud of the tenant (GCC uses global).")
    @click.option("--backup-dir", default="backup", show_default=True,
                  help="Where `closegate backup` writes, relative to the configuration file.")
    @click.option("--signoffs", type=click.IntRange(0, 10), default=1, show_default=True,
                  help="How many sign-offs `closegate close` requires.")
    @click.option("--force", is_flag=True, help="Replace an existing file.")
    def init(out: Path, tenant: str, client_id: str, method: str, certificate: Path | None, cloud: str,
             backup_dir: str, signoffs: int, force: bool) -> None:
        """Write a commented closegate.toml for a real tenant (never a secret; refuses to overwrite).

        \b
        Examples:
          closegate init --tenant contoso.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555
          closegate init --auth certificate --certificate closegate-app.pem --tenant ... --client-id ...
          closegate init --auth device_code --cloud usgov --out gov.toml --tenant ... --client-id ...
        """
        try:
            if method == "certificate" and certificate is None:
                raise ConfigError("--auth certificate needs --certificate PATH",
                                  "pass the PEM (key + certificate) or PFX file of the app registration")
            if method != "certificate" and certificate is not None:
                raise ConfigError("--certificate is only used with --auth certificate",
                                  "add --auth certificate or leave --certificate out")
            if out.exists() and not force:
                raise ConfigError(f"{out} already exists", "pass --force to replace it, or --out to write elsewhere")
            cert_value = _certificate_value(certificate, out) if certificate is not None else None
            text = render(tenant=tenant.strip(), client_id=client_id.strip(), method=method, cloud=cloud,
                          certificate=cert_value, backup_dir=backup_dir, signoffs=signoffs)
            out.parent.mkdir(parents=True, exist_ok=True)
            _validate(text, out.parent, method)
            write_config(out, text, force=force)
        except ClosegateError as exc:
            fail(exc, "closegate init")
        except OSError as exc:
            fail(ConfigError(f"cannot write {out} ({exc.strerror})", "choose a writable --out"), "closegate init")
        click.echo(f"wrote {out}")
        if method == "client_secret":
            click.echo("next: export AZURE_CLIENT_SECRET='<the app's client secret>' in this shell")
        click.echo("then: grant what `closegate permissions` lists (admin consent), and run `closegate doctor"
                   + ("" if out == DEFAULT_PATH else f" --config {out}") + "`")
