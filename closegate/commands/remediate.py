"""`closegate plan`, `closegate remediate` and `closegate journal verify`: the wiring of remediation.

The commands sign in, build objects and map outcomes to exit codes; the plan, the executor and the
journal make every decision (closegate.remediation.workflow, which the demo and the tests call too).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from closegate.commands._common import cut_tokens, fail, shown, visible, warn, warn_if_untagged
from closegate.commands.audit import DEFAULT_OUT, write_run
from closegate.errors import ClosegateError, IntegrityError
from closegate.facts import CALLER
from closegate.models import iso
from closegate.remediation.actions import Kind, Reversibility
from closegate.remediation.executor import ExecutionOptions
from closegate.remediation.journal import Journal, operation_id, read_state, verify
from closegate.remediation.outcomes import Hold, ItemReport
from closegate.remediation.pacing import DOCUMENTED_WRITE_QUOTA
from closegate.remediation.plan import Plan, load_plan, write_plan
from closegate.remediation.workflow import apply_plan, fresh_run, make_plan, point_of_no_return, preflight
from closegate.session import open_session
from closegate.tags import installation_key

__all__ = ["print_plan", "print_summary", "register"]

SYNC_OFF_TAKES = timedelta(hours=72)  # graph-facts §3.2 (S6)
FAILED = 1


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# -- plan -----------------------------------------------------------------------------------------


def _cell(*lines: str) -> Text:
    """A table cell of lines from a plan or the tenant: each neutralised, long names cut, never read as markup."""
    return Text("\n".join(cut_tokens(line) for line in lines))


def print_plan(plan: Plan, console: Console) -> None:
    table = Table(title=f"remediation plan {plan.plan_hash[:16]} for {shown(plan.primary_domain)} "
                        f"(run {plan.run_id[:16]})")
    for column in ("Step", "Action", "Kind", "Objects", "Reversibility", "Requires", "Permissions"):
        table.add_column(column, overflow="fold")
    for item in plan.items:
        reversibility = item.reversibility.value + ("  << POINT OF NO RETURN" if item.point_of_no_return else "")
        objects = str(len(item.targets)) if item.kind is Kind.AUTOMATED else "portal"
        if item.planning_error:
            objects = f"could not plan: {item.planning_error}"
        title = item.title + (f" (only with {item.opt_in})" if item.opt_in else "")
        table.add_row(_cell(str(int(item.step))), _cell(item.action_id, title), _cell(item.kind.value),
                      _cell(objects), _cell(reversibility), _cell(", ".join(item.requires) or "-"),
                      _cell(*(item.permissions or ("-",))))
    console.print(table)
    console.print(f"protected: {visible(plan.scope.note)}", markup=False, highlight=False)
    for item in plan.items:
        if item.kind is Kind.MANUAL:
            console.print(f"[bold]{shown(item.action_id)}[/] (manual, confirmed by {shown(item.fixes)}): "
                          f"{shown(item.portal_link)}")
            for n, line in enumerate(item.portal_steps, 1):
                console.print(f"  {n}. {visible(line)}", markup=False, highlight=False)


def _plan(config: Path | None, run_path: Path | None, out: Path, closing_admin: str | None,
          as_json: bool = False) -> None:
    from closegate.attestations import gather
    from closegate.config import local_settings
    from closegate.session import config_path

    try:
        session = open_session(config)
        key = session.record_key()
        warn_if_untagged(key)
        now = _utc_now()
        record, reader, new = fresh_run(session, run_path, now,
                                        gather(local_settings(config_path(config)).state_dir, out, warn))
        # The plan first: a plan refused (another tenant, an unknown closing admin) writes nothing,
        # and does not spend the PDF rendering of a run nobody will act on.
        plan = make_plan(record, reader, session, now, closing_admin)
        if new:
            write_run(record, out, key=key)
        path = write_plan(plan, out, key)
    except ClosegateError as exc:
        fail(exc)
    if as_json:
        # ASCII: JSON escapes keep a tenant's control characters away from the terminal, and parse the same.
        click.echo(json.dumps(plan.to_json(key), indent=2, sort_keys=True, ensure_ascii=True))
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    print_plan(plan, console)
    console.print(f"plan: {path}  sha256 {plan.plan_hash}", markup=False)


# -- remediate ------------------------------------------------------------------------------------


@contextmanager
def _bars(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    if not console.is_terminal:
        yield lambda label, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:  # a plan's titles are the file's words: neutralised like a tenant's
                tasks[label] = bar.add_task(shown(label), total=max(total, 1))
            bar.update(tasks[label], completed=done)

        yield update


def print_summary(reports: Sequence[ItemReport], console: Console, tenant_now: datetime | None) -> None:
    table = Table(title="remediation summary")
    for column in ("Action", "Planned", "Changed", "Already done", "Skipped", "Failed", "Why"):
        table.add_column(column, overflow="fold")
    for r in reports:
        why = [r.note] if r.note else []
        why += [f"{n} x {reason}" for reason, n in sorted(r.reasons.items(), key=lambda kv: -kv[1])]
        table.add_row(_cell(r.action_id), str(r.planned), str(r.changed),
                      str(r.already_done), str(r.skipped), str(r.failed), _cell(*why))
    console.print(table)
    sync = next((r for r in reports if r.action_id == "turn_off_directory_sync"), None)
    if sync is not None and (sync.changed or sync.already_done):
        eta = (tenant_now or _utc_now()) + SYNC_OFF_TAKES
        console.print(f"directory sync turn-off is running: it completes by {iso(eta)} at the latest (72 hours, "
                      "graph-facts §3.2); synced users are deleted by a re-run after that")


def _dry_run(config: Path | None, plan_path: Path, step: int | None, purge: bool, console: Console) -> None:
    # A dry run changes nothing, so a plan or journal this installation did not write is shown with a
    # warning (a colleague's plan may be reviewed here); applying it is refused.
    key = installation_key(config)
    plan = load_plan(plan_path, key, warn=warn)
    journal = plan_path.parent / "journal.jsonl"
    state = read_state(journal, key, warn=warn) if journal.exists() else None
    console.print(f"dry run of plan {plan.plan_hash[:16]} for {visible(plan.primary_domain)}: nothing is changed "
                  "(add --apply to make these changes)", markup=False, highlight=False)
    for item in plan.items:
        if step is not None and int(item.step) != step:
            continue
        if item.kind is Kind.MANUAL:
            console.print(f"- {visible(item.action_id)}: manual, {visible(item.portal_link)} (confirmed by "
                          f"{visible(item.fixes)})", markup=False, highlight=False)
            continue
        done = sum(1 for t in item.targets
                   if state is not None and state.done(operation_id(plan.plan_hash, item.action_id, t.object_id)))
        extra = f" (only with {item.opt_in})" if item.opt_in and not (item.opt_in == "--purge" and purge) else ""
        labels = ", ".join(t.label for t in item.targets[:3]) + (" ..." if len(item.targets) > 3 else "")
        marker = "  POINT OF NO RETURN" if item.point_of_no_return else ""
        reversible = "" if item.reversibility is Reversibility.REVERSIBLE else f" [{item.reversibility.value}]"
        console.print(cut_tokens(f"- {item.action_id}: would change {len(item.targets) - done} of {len(item.targets)}"
                              f"{extra}{reversible}{marker}: {labels}"), markup=False, highlight=False)


def _held_back(reports: Sequence[ItemReport]) -> list[str]:
    """One line per reason the run did less than the plan: automation must not read it as success."""
    lines = []
    waiting = [r for r in reports if r.hold is Hold.REQUIREMENTS]
    if waiting:
        which = "; ".join(f"{r.action_id} {r.note}" for r in waiting)
        lines.append(f"{len(waiting)} action(s) applied nothing: {which}: make those checks PASS, then apply again")
    refused = [r for r in reports if r.hold is Hold.REFUSED or r.refused]
    if refused:
        count = sum(r.refused for r in refused)
        lines.append(f"closegate refused part of the plan ({count} object(s), "
                     f"{sum(1 for r in refused if r.hold is Hold.REFUSED)} action(s)): the plan asks for what "
                     "closegate would not do now; see the summary, then plan again")
    return lines


def _remediate(config: Path | None, plan_path: Path, apply: bool, step: int | None, confirm: str | None,
               purge: bool, window: int, closing_admin: str | None) -> None:
    err = Console(stderr=True)
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        if not apply:
            _dry_run(config, plan_path, step, purge, console)
            return
        session = open_session(config)
        plan = load_plan(plan_path, session.record_key())  # refused when edited or not written here
        preflight(plan, session.reader().read(CALLER), step, purge)
        if confirm is None:
            confirm = click.prompt(f"Type the primary domain of the tenant to change ({visible(plan.primary_domain)})",
                                   err=True)
        first = point_of_no_return(plan, step)
        if first is not None:
            err.print(f"[bold red]point of no return:[/] {shown(first.action_id)} ({first.reversibility.value}); "
                      f"{shown(first.undo)}")
        with _bars(err) as progress:
            reports = apply_plan(plan_path, session, confirm=confirm, progress=progress, closing_admin=closing_admin,
                                 options=ExecutionOptions(step=step, purge=purge, window=window,
                                                          quota=DOCUMENTED_WRITE_QUOTA))
    except ClosegateError as exc:
        fail(exc)
    print_summary(reports, console, session.graph.last_date)
    held = _held_back(reports)
    for line in held:
        click.echo(f"closegate remediate: {visible(line)}", err=True)
    sys.exit(FAILED if held or any(r.failed for r in reports) else 0)


def _verify(path: Path, repair: bool) -> None:
    console = Console()
    key = installation_key()
    try:
        report = verify(path, key)
        if repair and report.torn_tail_bytes:
            Journal(path, key).close()
            report = verify(path, key)
    except IntegrityError as exc:
        console.print(f"journal does not verify: {visible(exc.one_line())}", markup=False, highlight=False)
        sys.exit(FAILED)
    console.print(f"journal {path}: {report.records} records, chain verified, head {report.last_hash[:16]}",
                  markup=False)
    # A chain that verifies but was written elsewhere is still evidence: said, not refused.
    if not report.provenance.here:
        console.print(visible(report.provenance.warning(path)), markup=False, highlight=False)
    if report.truncation_notes:
        console.print(f"{report.truncation_notes} torn record(s) from interrupted writes were cut off, each noted")
    if report.torn_tail_bytes:
        console.print(f"[yellow]torn final record ({report.torn_tail_bytes} bytes) from an interrupted write: not part "
                      "of the chain; the next remediate (or --repair) cuts it off with a note[/]")
    if report.open_intents:
        console.print(f"{len(report.open_intents)} operations were interrupted; a re-run re-checks them first")


def register(group: click.Group) -> None:
    config_option = click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                                 help="closegate.toml (default: ./closegate.toml if present).")

    @group.command("plan")
    @config_option
    @click.option("--run", "run_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                  help="A run.json no older than [audit] max_age_minutes (default: audit now).")
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True,
                  help="Directory for plan.json (and run.json when it audits now).")
    @click.option("--closing-admin", default=None, help="UPN of the Global Administrator who will delete the tenant; "
                  "overrides [tenant] closing_admin in closegate.toml (app sign-in only).")
    @click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON instead of the table.")
    def plan_command(config: Path | None, run_path: Path | None, out: Path, closing_admin: str | None,
                     as_json: bool) -> None:
        """Write DIR/plan.json: every fix in Microsoft's order, bound to the run and the tenant.

        \b
        Examples:
          closegate plan --config closegate.toml --out closegate-output
          closegate plan --run closegate-output/run.json --closing-admin admin@contoso.onmicrosoft.com --json
        """
        _plan(config, run_path, out, closing_admin, as_json)

    @group.command("remediate")
    @config_option
    @click.option("--plan", "plan_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=DEFAULT_OUT / "plan.json", show_default=True,
                  help="The plan.json written by `closegate plan` (reviewed before --apply).")
    @click.option("--apply", is_flag=True, help="Make the changes (default: a dry run that changes nothing).")
    @click.option("--step", type=click.IntRange(0, 5), default=None, help="Only the actions of this step.")
    @click.option("--confirm", default=None, help="The tenant's primary domain, instead of typing it.")
    @click.option("--purge", is_flag=True, help="Also empty the recycle bin (irreversible).")
    @click.option("--window", type=click.IntRange(1, 2000), default=200, show_default=True,
                  help="Objects re-read and written per round.")
    @click.option("--closing-admin", default=None, help="UPN of the Global Administrator who will delete the tenant, "
                  "as given to `closegate plan` (app sign-in only; default: [tenant] closing_admin).")
    def remediate_command(config: Path | None, plan_path: Path, apply: bool, step: int | None, confirm: str | None,
                          purge: bool, window: int, closing_admin: str | None) -> None:
        """Apply an approved plan: re-checks each object first, journals every change, resumes after a crash.

        \b
        Examples:
          closegate remediate --plan closegate-output/plan.json            (dry run: changes nothing)
          closegate remediate --plan closegate-output/plan.json --apply --step 1
          closegate remediate --apply --confirm contoso.onmicrosoft.com     (automation)

        \b
        Exit codes: 0 done (skips are listed), 1 some changes failed, an action waits for a check that must
        PASS first, or closegate refused part of the plan; 2 refused or could not run.
        """
        _remediate(config, plan_path, apply, step, confirm, purge, window, closing_admin)

    @group.group("journal")
    def journal_group() -> None:
        """The remediation journal.

        \b
        Example:
          closegate journal verify closegate-output/journal.jsonl
        """

    @journal_group.command("verify")
    @click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                    default=DEFAULT_OUT / "journal.jsonl")
    @click.option("--repair", is_flag=True, help="Cut off a torn final record now, with a note.")
    def verify_command(path: Path, repair: bool) -> None:
        """Verify the journal's hash chain (exit 1 if it does not verify).

        \b
        Example:
          closegate journal verify closegate-output/journal.jsonl --repair
        """
        _verify(path, repair)
