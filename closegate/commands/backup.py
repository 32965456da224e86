"""`closegate backup`: export the directory to DIR, `backup verify DIR`, `backup attest` content backups.

Wiring only: settings -> sign-in -> Graph client -> closegate.backup. Exit codes: 0 done / verified,
1 the backup does not verify, 2 could not run (configuration, sign-in, Graph).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from closegate.commands._common import fail, read_signing_key
from closegate.errors import ClosegateError, ConfigError

__all__ = ["register"]

NOT_VERIFIED = 1
_CONFIG = click.Path(dir_okay=False, path_type=Path)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _fail(exc: ClosegateError) -> None:
    fail(exc)


def _announce(source) -> None:  # type: ignore[no-untyped-def]
    # learn: graph/api/bitlockerrecoverykey-get: reading `key` "triggers a Microsoft Entra audit of the
    # operation and generates an audit log" (category KeyManagement). Said before the first read.
    click.echo("  reading BitLocker recovery keys: Microsoft records each read in the tenant's directory audit "
               "log (KeyManagement, \"Read BitLocker key\"); they are written only encrypted to [backup] recipient")


def _run(config: Path | None, out: Path | None, sign_key: Path | None, replace: bool, include_keys: bool,
         clock: Callable[[], datetime]) -> None:
    from closegate.backup import CONTENT_NOTE, export_backup
    from closegate.backup.export import Secrets
    from closegate.session import open_session

    try:
        key = read_signing_key(sign_key)  # a bad key fails before any export
        session = open_session(config, sign_in=False)
        settings = session.settings
        directory = out or settings.backup_dir
        secrets = Secrets(include=include_keys, recipient=settings.backup_recipient, on_read=_announce)

        def report(entry, reused):  # type: ignore[no-untyped-def]
            what = "unavailable: " + entry.unavailable if entry.unavailable else f"{entry.objects} objects"
            sealed = f", encrypted to {entry.recipient[:16]}..." if entry.recipient else ""
            click.echo(f"  {entry.name:<28} {what}{sealed}{' (kept from the interrupted run)' if reused else ''}")

        click.echo(f"backing up tenant {settings.tenant_id} to {directory}")
        result = export_backup(session.graph, directory, replace=replace, sign_key=key, clock=clock,
                               on_file=report, secrets=secrets)
    except ClosegateError as exc:
        _fail(exc)
        return
    total = sum(e.objects for e in result.manifest.files)
    requests = session.stats.totals()
    click.echo(f"backup complete: {total} objects, manifest {directory / 'manifest.json'}"
               f"{f', signature {result.signature}' if result.signature else ''} ({requests.requests} requests, "
               f"{requests.batched} in $batch)")
    if result.previous is not None:
        click.echo(f"the replaced backup is kept in {result.previous} (attestations carried over); "
                   "delete it once the tenant is closed")
    click.echo(f"NOTE: {CONTENT_NOTE}")


def _verify(directory: Path, pubkey: Path | None) -> None:
    from closegate.backup import verify_backup
    from closegate.keys import load_public_key

    try:
        key = load_public_key(pubkey) if pubkey else None
    except ClosegateError as exc:
        _fail(exc)
        return
    if not directory.is_dir():
        _fail(ConfigError(f"there is no backup folder {directory}",
                          "give the folder `closegate backup` wrote (its [backup] dir or --out)"))
        return
    check = verify_backup(directory, key)
    for note in check.notes:
        click.echo(f"note: {note}")
    for problem in check.problems:
        click.echo(problem, err=True)
    if check.problems:
        click.echo(f"{directory}: {len(check.problems)} problems; this backup cannot be trusted", err=True)
        sys.exit(NOT_VERIFIED)
    files = [e for e in check.manifest.files if not e.unavailable] if check.manifest else []
    click.echo(f"{directory}: verified {len(files)} files, {sum(e.objects for e in files)} objects"
               f"{', signature valid' if key else ''}")


def register(group: click.Group, clock: Callable[[], datetime] = _utc_now) -> None:
    @group.group("backup", invoke_without_command=True)
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Backup directory (default: [backup] dir of closegate.toml).")
    @click.option("--config", type=_CONFIG, default=None, help="closegate.toml (default: ./closegate.toml).")
    @click.option("--sign-key", type=_CONFIG, default=None, help="Ed25519 private key (PEM) to sign the manifest.")
    @click.option("--replace", is_flag=True,
                  help="Replace a complete backup already in the directory (written beside it, swapped in "
                       "once it verifies; the old one is kept as DIR.previous-TIME).")
    @click.option("--include-bitlocker-keys", "include_keys", is_flag=True,
                  help="Also read the BitLocker recovery keys (each read is audited by Microsoft) and keep them "
                       "encrypted to [backup] recipient.")
    @click.pass_context
    def backup(ctx: click.Context, out: Path | None, config: Path | None, sign_key: Path | None,
               replace: bool, include_keys: bool) -> None:
        """Export what closing the tenant destroys (directory, policies, logs, devices, holds) to DIR.

        Mailbox, OneDrive and SharePoint content is NOT copied: back it up with a content backup
        tool and record where with `closegate backup attest`. An interrupted backup resumes.
        BitLocker recovery keys are read only with --include-bitlocker-keys, and written only
        encrypted (age) to the recipient in [backup] recipient.

        \b
        Examples:
          closegate backup --config closegate.toml --out backup
          closegate backup --include-bitlocker-keys
          closegate backup verify backup
        """
        if ctx.invoked_subcommand is None:
            _run(config, out, sign_key, replace, include_keys, clock)

    @backup.command("verify")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--public-key", "--pubkey", "pubkey", type=_CONFIG, default=None,
                  help="Ed25519 public key (PEM) to check the signature.")
    def verify(directory: Path, pubkey: Path | None) -> None:
        """Check every file's SHA-256 and object count against manifest.json (and the signature).

        \b
        Example:
          closegate backup verify backup --public-key signer.pub.pem
        """
        _verify(directory, pubkey)

    @backup.command("attest")
    @click.option("--out", "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Backup directory, as given to `closegate backup --out` (default: [backup] dir).")
    @click.option("--config", type=_CONFIG, default=None, help="closegate.toml (default: ./closegate.toml).")
    @click.option("--scope", "scopes", multiple=True,
                  help="all (default), mailbox, onedrive, sharepoint, or REPORT:UPN-OR-SITE-URL; repeatable.")
    @click.option("--tool", required=True, help="The content backup tool used.")
    @click.option("--location", required=True, help="Where the content backup is stored.")
    @click.option("--by", required=True, help="Who attests (name and role).")
    @click.option("--date", "taken", default=None, help="When the content was backed up (ISO date; default now).")
    @click.option("--expires", "expires_days", type=int, default=None, help="Days until the attestation lapses.")
    def attest(directory: Path | None, config: Path | None, scopes: tuple[str, ...], tool: str, location: str,
               by: str, taken: str | None, expires_days: int | None) -> None:
        """Record where mailbox, OneDrive or SharePoint content was backed up (CG-002 needs it).

        \b
        Example:
          closegate backup attest --tool "Microsoft 365 Backup" --location https://backup.example/contoso \\
              --by "Dana Ops (IT)" --scope mailbox --scope onedrive
        """
        from closegate.backup import record_content_attestation
        from closegate.config import load_settings
        from closegate.session import config_path

        try:
            when = _date(taken) if taken else clock()
            target = directory or load_settings(config_path(config)).backup_dir
            made = record_content_attestation(
                target, scopes=[] if scopes == ("all",) else [s for s in scopes if s != "all"], tool=tool,
                location=location, by=by, taken=when,
                expires=when + timedelta(days=expires_days) if expires_days else None)
        except ClosegateError as exc:
            _fail(exc)
            return
        for c in made:
            click.echo(f"attested: {c.scope or 'all'} content backed up with {c.tool} to {c.location} "
                       f"on {c.taken:%Y-%m-%d} by {c.by}")


def _date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"--date {text!r} is not an ISO date", "write it as 2025-03-01 or 2025-03-01T09:00Z") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
