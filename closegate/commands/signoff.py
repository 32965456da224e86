"""`closegate signoff`: record one person's approval of one run, bound to the run's hash.

The command refuses a run record whose content no longer matches its run_id or its integrity tag,
and one this installation did not write (closegate.tags): an officer approves what closegate audited,
never a file someone handed over (to sign on another machine, share the record key with
[records] key_file). It appends to signoffs.json beside run.json, where the reports and the gate read
it, each approval tagged. With --sign-key the approval is also signed (Ed25519 over the run id), so it
can be checked without trusting the file it sits in.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from closegate.commands._common import CANNOT_RUN, fail, read_signing_key, visible, warn_if_untagged
from closegate.errors import ClosegateError

__all__ = ["register"]

_KEY = click.Path(dir_okay=False, exists=True, path_type=Path)


def _signoff(config: Path | None, run: Path, by: str, role: str, key_path: Path | None) -> None:
    from closegate.closure import signoffs as signoff_file
    from closegate.closure.signoffs import append_signoff, make_signoff
    from closegate.records import read_record
    from closegate.tags import installation_key

    try:
        records_key = installation_key(config)
        warn_if_untagged(records_key)
        record = read_record(run, records_key)
        signoff = make_signoff(record, by, role, datetime.now(timezone.utc), read_signing_key(key_path))
        path = append_signoff(run.parent, signoff, records_key)
        bound = signoff_file.for_run(signoff_file.load(run.parent, records_key), record.run_id)
    except ClosegateError as exc:
        fail(exc)
    except OSError as exc:
        click.echo(f"closegate: cannot record the sign-off ({exc.strerror}: {exc.filename}): check the folder of "
                   "RUN is writable", err=True)
        sys.exit(CANNOT_RUN)
    how = (f"signed with Ed25519 key {signoff.key_fingerprint()}" if signoff.signature
           else "not cryptographically signed (pass --sign-key to sign)")
    click.echo(visible(f"recorded: {signoff.by} ({signoff.role}) approved run {record.run_id} of tenant "
                       f"{record.tenant.name or record.tenant.id} ({record.verdict.value.replace('_', ' ')}) at "
                       f"{signoff.when}, {how}"))
    click.echo(f"{len(bound)} sign-off(s) now bound to this run in {path}")
    click.echo(f"the reports show it once re-rendered: closegate report {run}")


def register(group: click.Group) -> None:
    @group.command("signoff")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="closegate.toml whose [records] key_file to use (default: ./closegate.toml if present).")
    @click.option("--run", "run", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="The run record to approve (run.json from `closegate audit`).")
    @click.option("--by", required=True, help="Full name of the person approving.")
    @click.option("--role", required=True, help="Their role, e.g. \"Compliance officer\".")
    @click.option("--sign-key", "key_path", type=_KEY, default=None,
                  help="Ed25519 private key (PEM) to sign the approval with.")
    # --key was this option's first name; report, backup and close call it --sign-key. Kept, unlisted,
    # so scripts written against the old name keep signing instead of failing on an unknown option.
    @click.option("--key", "old_key_path", type=_KEY, default=None, hidden=True)
    def signoff(config: Path | None, run: Path, by: str, role: str, key_path: Path | None,
                old_key_path: Path | None) -> None:
        """Approve the run RUN: append a sign-off bound to its hash to signoffs.json beside it.

        \b
        Example:
          closegate signoff --run closegate-output/run.json --by "Carla Diaz" --role "Compliance officer" \\
              --sign-key carla.pem
        Exit codes: 0 recorded, 2 refused (an edited run record or one not written here, an unreadable
        key, a second approval by the same person).
        """
        if key_path is not None and old_key_path is not None and key_path != old_key_path:
            raise click.UsageError("--key is the old name of --sign-key: give one key, with --sign-key")
        _signoff(config, run, by, role, key_path or old_key_path)
