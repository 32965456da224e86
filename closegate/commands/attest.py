"""`closegate attest`: record a person's statement about something no API can see (CG-013/014/015/020),
or that Graph no longer shows once a licence is gone (CG-019/021/022).

The attestation goes into attestations.json in the configuration's state directory ([state] dir, by
default beside closegate.toml: closegate.attestations), so the next `closegate audit` finds it whatever
its --out and turns the item's ATTEST into PASS with the attestation as evidence, until it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from closegate.attestations import FILE_NAME, Attestation, load, save
from closegate.commands._common import fail, visible
from closegate.config import local_settings
from closegate.errors import ClosegateError, ConfigError
from closegate.registry import catalog
from closegate.session import config_path

__all__ = ["record_attestation", "register"]


def record_attestation(out: Path, item: str, by: str, statement: str, evidence: str, expires_days: int | None,
                       now: datetime) -> Attestation:
    """Validate and append one attestation; raises ConfigError for anything that is not attestable."""
    spec = catalog().get(item)
    if spec is None or not spec.attestable:
        attestable = ", ".join(s.id for s in catalog() if s.attestable)
        raise ConfigError(f"{item} cannot be attested", f"attest one of {attestable}; the others are read from the API")
    if not by.strip() or not statement.strip():
        raise ConfigError("an attestation needs a name (--by) and a statement (--statement)", "give both")
    if expires_days is not None and expires_days < 1:
        raise ConfigError(f"--expires {expires_days} is not a number of days", "use 1 or more days")
    attestation = Attestation(item=item, statement=statement.strip(), by=by.strip(), when=now,
                              evidence=evidence.strip(),
                              expires=now + timedelta(days=expires_days) if expires_days else None)
    save(out, (*load(out), attestation))
    return attestation


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def register(group: click.Group, clock: Callable[[], datetime] = _utc_now) -> None:
    @group.command("attest")
    @click.argument("item")
    @click.option("--by", required=True, help="Who makes the statement (name and role).")
    @click.option("--statement", required=True, help="What was checked and found, in one sentence.")
    @click.option("--evidence", default="", help="Where the proof is (ticket, screenshot, invoice ids).")
    @click.option("--expires", "expires_days", type=int, default=None, help="Days until the attestation lapses.")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="closegate.toml (default: ./closegate.toml if present); attestations.json is kept in its "
                       "[state] dir, by default beside it.")
    def attest(item: str, by: str, statement: str, evidence: str, expires_days: int | None,
               config: Path | None) -> None:
        """Record a person's attestation of ITEM: what no API can see (CG-013, CG-014, CG-015, CG-020), or
        what Graph no longer shows once a licence is gone (CG-019, CG-021, CG-022).

        \b
        Example:
          closegate attest CG-015 --by "Dana Ops (IT)" --statement "Billing shows nothing due" \\
              --evidence "invoice list screenshot, ticket 4711" --expires 7
        """
        try:
            state = local_settings(config_path(config)).state_dir
            done = record_attestation(state, item.upper(), by, statement, evidence, expires_days, clock())
        except ClosegateError as exc:
            fail(exc)
        until = f", expires {done.expires:%Y-%m-%d}" if done.expires else ""
        click.echo(visible(f"{done.item} attested by {done.by} on {done.when:%Y-%m-%d %H:%M} UTC{until}, kept in "
                           f"{state / FILE_NAME}; run `closegate audit` to apply it"))
