"""`closegate audit`: run every check against the tenant, print the verdict by procedure step, write run.json.

The command only wires objects (a session from closegate.session, the runner) and maps the verdict to an
exit code; every decision lives in the runner and the checks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from closegate.attestations import gather
from closegate.backup.offline import OfflineTenant, open_offline
from closegate.commands._common import CANNOT_RUN, cut, cut_tokens, fail, listed, shown, visible, warn, warn_if_untagged
from closegate.commands._rendering import rendering
from closegate.commands._signing import report_approvers, signing_identity
from closegate.config import Settings, local_settings
from closegate.errors import ClosegateError, ConfigError
from closegate.facts import TenantReader
from closegate.keys import load_public_key
from closegate.models import RunRecord, Status, Step, Verdict, iso
from closegate.records import tagged_json, write_record
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.session import config_path, open_session
from closegate.tags import RecordKey, load_key

__all__ = ["CANNOT_RUN", "DEFAULT_OUT", "EXIT_CODES", "register", "write_run"]

DEFAULT_OUT = Path("closegate-output")
EXIT_CODES = {Verdict.READY: 0, Verdict.NOT_READY: 1, Verdict.CANNOT_DETERMINE: 3}


_STYLE = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "magenta", Status.ATTEST: "yellow",
          Status.NOT_APPLICABLE: "dim"}
# An advisory FAIL does not block the delete: coloured apart from a blocking FAIL (red) so the eye finds
# the blockers first; an advisory ERROR still stops the gate (closegate.gate) and keeps its colour.
_ADVISORY_STYLE = {Status.FAIL: "dark_orange"}
_EVIDENCE_LINES = 3


def _ids(text: str | None) -> frozenset[str]:
    return frozenset(part.strip().upper() for part in (text or "").split(",") if part.strip())


def write_run(record: RunRecord, out_dir: Path, *, reports: bool = True, key: RecordKey | None = None,
              progress: Callable[[str], None] | None = None, settings: Settings | None = None) -> Path:
    """Write DIR/run.json (closegate.records, tagged with `key`), then the HTML, PDF and JUnit reports and
    the object lists (report-objects/*.csv) beside it; `progress` hears what is rendering (reporting.render).

    With `settings`, the PDF prints the approver boxes [signoff] asks for and, when [signing] is
    configured, carries closegate's PAdES signature (the run hash is in its signed content)."""
    signer = signing_identity(settings.signing) if settings is not None and reports else None
    path = write_record(record, out_dir, key)
    if reports:
        from closegate.reporting import write_reports

        write_reports(record, out_dir, approvers=report_approvers(settings.signoff) if settings is not None else (),
                      pdf_signer=signer, signing_time=datetime.now(UTC) if signer is not None else None,
                      progress=progress)
    return path


@contextmanager
def _progress(console: Console, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield lambda label, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console, transient=True) as bar:
        task = bar.add_task("signing in", total=1)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=max(total, 1))

        yield update


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in evidence.items():
        if isinstance(value, list) and value:
            lines.append(f"{key.replace('_', ' ')}: {listed([_short(v) for v in value], _EVIDENCE_LINES)}")
    return lines


def _short(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("user_principal_name", "user", "display_name", "name", "sku", "id"):
            if value.get(key):
                return str(value[key])
    return str(value)


def print_record(record: RunRecord, console: Console) -> None:
    table = Table(title=f"closegate audit of {shown(cut(record.tenant.name or record.tenant.id))}", show_lines=False)
    for column in ("Step", "Check", "Status", "Result"):
        table.add_column(column, overflow="fold")
    groups = [(f"{int(step)} {step.title}", [r for r in record.results if r.step is step and not r.records])
              for step in Step]
    # Records and legal (holds, retention, devices) follow the backup step, as in the reports.
    groups.insert(1, ("Records and legal", [r for r in record.results if r.records]))
    for title, rows in groups:
        for index, r in enumerate(rows):
            label = title if index == 0 else ""
            status = r.status.value + ("" if r.blocking else " (advisory)")
            style = _ADVISORY_STYLE.get(r.status, _STYLE[r.status]) if not r.blocking else _STYLE[r.status]
            detail = [r.message, *(_evidence_lines(dict(r.evidence)) if r.status is Status.FAIL else [])]
            if r.status is Status.ERROR and r.error:
                detail.append(f"fix: {r.error.get('fix') or r.fix}")
            # Each line neutralised on its own: a newline inside a tenant's name must not start a row of its own.
            table.add_row(Text(label), Text(visible(f"{r.check_id} {r.title}")), Text(status, style=style),
                          Text("\n".join(cut_tokens(line) for line in detail)))
    console.print(table)
    console.print(Text(f"earliest closure: {visible(record.earliest_closure.reason)}"))
    if record.offline is not None:
        console.print(Text(visible(f"offline: evaluated from the backup in {record.offline.get('backup')} (manifest "
                                   f"sha256 {record.offline.get('manifest_sha256')}, taken "
                                   f"{record.offline.get('taken')}), no tenant was read; it cannot open the gate"),
                           style="yellow"))
    if not record.complete:
        console.print("[yellow]partial run (--only/--skip): it cannot open the gate[/]")
    console.print(f"verdict: [bold]{record.verdict.value.replace('_', ' ')}[/]  run {record.run_id[:16]}")


def _audit(config: Path | None, out: Path, only: str | None, skip: str | None, as_json: bool,
           reports: bool = True, from_backup: Path | None = None) -> None:
    err = Console(stderr=True)
    both = sorted(_ids(only) & _ids(skip))
    if both:
        fail(ConfigError(f"{', '.join(both)} is both in --only and in --skip",
                         "name each check in one of them (--only runs just those; --skip leaves those out)"))
    try:
        reader: TenantReader
        if from_backup is not None:
            reader, settings, key = _offline(config, from_backup)
        else:
            session = open_session(config)
            key = session.record_key()
            reader = session.reader()
            settings = RunSettings(tenant_id=session.settings.tenant_id, cloud=session.settings.cloud.name,
                                   request_stats=session.stats.snapshot)
        attestations = gather(local_settings(config_path(config)).state_dir, out, warn)
        warn_if_untagged(key)
        with _progress(err, enabled=not as_json and err.is_terminal) as progress:
            record = run(reader, catalog(), replace(settings, only=_ids(only), skip=_ids(skip),
                                                    attestations=attestations, progress=progress))
        # An offline run is never signed by closegate nor offered for approval with the configured boxes.
        full = session.settings if from_backup is None else None
        with rendering(err, enabled=reports and not as_json) as progress_line:
            path = write_run(record, out, reports=reports, key=key, progress=progress_line, settings=full)
    except ClosegateError as exc:
        fail(exc)
    if as_json:
        # The document run.json holds, tag included; ASCII so a tenant's control characters reach the
        # terminal only as JSON escapes (it parses to the same record).
        click.echo(json.dumps(tagged_json(record, key), indent=2, sort_keys=True, ensure_ascii=True))
    else:
        console = Console(width=None if sys.stdout.isatty() else 160)
        print_record(record, console)
        console.print(Text(f"run record: {path}"))
        if reports:
            console.print(Text(f"reports: {out / 'report.html'}, {out / 'report.pdf'}, {out / 'junit.xml'}; "
                               f"every object list: {out / 'report-objects'}"))
    sys.exit(EXIT_CODES[record.verdict])


def _offline(config: Path | None, directory: Path) -> tuple[OfflineTenant, RunSettings, RecordKey]:
    """A reader of the backup alone (no session, no sign-in, no request) and the settings that record it."""
    local = local_settings(config_path(config))
    public_key = load_public_key(local.backup_public_key) if local.backup_public_key is not None else None
    reader = open_offline(directory, public_key=public_key, key_path=local.backup_public_key,
                          max_age=timedelta(days=local.backup_max_age_days), closing_admin=local.closing_admin_upn)
    manifest = reader.manifest
    offline = {"backup": str(directory.resolve()), "manifest_sha256": reader.manifest_sha256,
               "taken": iso(manifest.taken), "tenant_id": manifest.tenant_id}
    return reader, RunSettings(tenant_id=manifest.tenant_id, cloud="offline", offline=offline), load_key(
        local.record_key_file)


def register(group: click.Group) -> None:
    @group.command("audit")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="closegate.toml (default: ./closegate.toml if present, else AZURE_* environment).")
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True,
                  help="Directory for run.json and reports; attestations.json is read from here.")
    @click.option("--only", default=None, help="Comma-separated check ids to run (a partial run).")
    @click.option("--skip", default=None, help="Comma-separated check ids to leave out (a partial run).")
    @click.option("--json", "as_json", is_flag=True, help="Print the run record as JSON instead of the table.")
    @click.option("--reports/--no-reports", default=True, show_default=True,
                  help="Also write report.html, report.pdf, junit.xml and report-objects/*.csv beside run.json.")
    @click.option("--from-backup", "from_backup", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Evaluate every check offline from the verified backup in DIR, without any tenant access "
                       "(a fact the backup lacks is ERROR); such a run never opens `close`.")
    def audit(config: Path | None, out: Path, only: str | None, skip: str | None, as_json: bool,
              reports: bool, from_backup: Path | None) -> None:
        """Check every prerequisite of closing the tenant and write DIR/run.json.

        \b
        Examples:
          closegate audit --config closegate.toml --out closegate-output
          closegate audit --only CG-004,CG-005 --no-reports
          closegate audit --json > run.json
          closegate audit --from-backup backup --out offline-review

        \b
        Exit codes: 0 READY, 1 NOT READY (a blocking check failed), 3 CANNOT DETERMINE (an ERROR or
        ATTEST remains, or the run was partial), 2 could not run (configuration, sign-in).
        """
        _audit(config, out, only, skip, as_json, reports, from_backup)
