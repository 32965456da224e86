"""`closegate plan`, `closegate remediate` and `closegate journal verify`: the wiring of remediation.

The commands sign in, build objects and map outcomes to exit codes; the plan, the executor and the
journal make every decision. `apply_plan` is the library face of `remediate --apply` (tests and the
demo call it with their own tenant reader, e.g. one that knows the backup).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from closegate import permissions as perms
from closegate.commands._common import fail
from closegate.commands.audit import DEFAULT_OUT, write_run
from closegate.errors import ClosegateError, ConfigError, IntegrityError
from closegate.facts import Caller, TenantReader
from closegate.models import RunRecord, Status, iso
from closegate.remediation.actions import Kind, Reversibility, Scope, action_catalog
from closegate.remediation.executor import ExecutionOptions, Executor, ItemReport
from closegate.remediation.journal import Journal, operation_id, read_state, verify
from closegate.remediation.pacing import DOCUMENTED_WRITE_QUOTA, WriteQuota
from closegate.remediation.plan import Plan, build_plan, load_plan, resolve_scope, write_plan

__all__ = ["Session", "apply_plan", "connect_session", "register"]

SYNC_OFF_TAKES = timedelta(hours=72)  # graph-facts §3.2 (S6)
FAILED = 1


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Session:
    """A signed-in session: settings, the clients, and a factory of fresh (uncached) tenant readers."""

    settings: Any
    graph: Any
    arm: Any
    stats: Any
    reader: Callable[[], TenantReader]


def connect_session(config: Path | None) -> Session:
    from closegate.auth import MsalTokenProvider
    from closegate.config import load_settings
    from closegate.graph import connect
    from closegate.tenant import Tenant

    settings = load_settings(config)
    tokens = MsalTokenProvider(settings)
    tokens.token(settings.cloud.graph_resource)  # sign in first: failing here is "could not run" (exit 2)
    clients = connect(settings, tokens, grant_kind="delegated" if settings.auth.method == "device_code" else "application")
    max_age = timedelta(days=settings.backup_max_age_days)
    return Session(settings, clients.graph, clients.arm, clients.stats,
                   lambda: Tenant(clients.graph, clients.arm, tokens, backup_dir=settings.backup_dir,
                                  backup_max_age=max_age, backup_public_key=settings.backup_public_key,
                                  closing_admin_upn=settings.closing_admin_upn))


# -- plan -----------------------------------------------------------------------------------------


def _fresh_run(session: Session, run_path: Path | None, out: Path, now: datetime) -> tuple[RunRecord, TenantReader]:
    from closegate.attestations import load as load_attestations
    from closegate.registry import catalog
    from closegate.runner import RunSettings, run

    reader = session.reader()
    max_age = timedelta(minutes=session.settings.audit_max_age_minutes)
    if run_path is not None:
        try:
            record = RunRecord.from_json(json.loads(run_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read the run record {run_path}", "run `closegate audit` to write one") from exc
        if now - record.ended > max_age:
            minutes = int((now - record.ended).total_seconds() // 60)
            raise ConfigError(f"the run {run_path} is {minutes} minutes old, over the {max_age} limit",
                              "run `closegate audit` again (or `closegate plan` without --run)")
        return record, reader
    record = run(reader, catalog(), RunSettings(attestations=load_attestations(out),
                                                tenant_id=session.settings.tenant_id,
                                                cloud=session.settings.cloud.name,
                                                request_stats=session.stats.snapshot))
    write_run(record, out)
    return record, reader


def print_plan(plan: Plan, console: Console) -> None:
    table = Table(title=f"remediation plan {plan.plan_hash[:16]} for {plan.primary_domain} (run {plan.run_id[:16]})")
    for column in ("Step", "Action", "Kind", "Objects", "Reversibility", "Requires", "Permissions"):
        table.add_column(column, overflow="fold")
    for item in plan.items:
        reversibility = item.reversibility.value + ("  << POINT OF NO RETURN" if item.point_of_no_return else "")
        objects = str(len(item.targets)) if item.kind is Kind.AUTOMATED else "portal"
        if item.planning_error:
            objects = f"could not plan: {item.planning_error}"
        title = item.title + (f" (only with {item.opt_in})" if item.opt_in else "")
        table.add_row(str(int(item.step)), f"{item.action_id}\n{title}", item.kind.value, objects, reversibility,
                      ", ".join(item.requires) or "-", "\n".join(item.permissions) or "-")
    console.print(table)
    console.print(f"protected: {plan.scope.note}")
    for item in plan.items:
        if item.kind is Kind.MANUAL:
            console.print(f"[bold]{item.action_id}[/] (manual, confirmed by {item.fixes}): {item.portal_link}")
            for n, line in enumerate(item.portal_steps, 1):
                console.print(f"  {n}. {line}", markup=False)


def _plan(config: Path | None, run_path: Path | None, out: Path, closing_admin: str | None,
          as_json: bool = False) -> None:
    try:
        session = connect_session(config)
        now = _utc_now()
        record, reader = _fresh_run(session, run_path, out, now)
        plan = build_plan(record, reader, action_catalog(), now=now,
                          max_age_minutes=session.settings.audit_max_age_minutes, closing_admin_upn=closing_admin)
        path = write_plan(plan, out)
    except ClosegateError as exc:
        fail(exc)
    if as_json:
        click.echo(plan.dumps(), nl=False)
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    print_plan(plan, console)
    console.print(f"plan: {path}  sha256 {plan.plan_hash}")


# -- remediate ------------------------------------------------------------------------------------


def _requirements(session: Session) -> Callable[[Sequence[str]], Mapping[str, Status]]:
    from closegate.registry import catalog
    from closegate.runner import RunSettings, run

    seen: dict[str, Status] = {}

    def evaluate(ids: Sequence[str]) -> Mapping[str, Status]:
        missing = [i for i in ids if i not in seen]
        if missing:
            record = run(session.reader(), catalog(), RunSettings(only=missing, tenant_id=session.settings.tenant_id))
            seen.update({r.check_id: r.status for r in record.results})
        return {i: seen.get(i, Status.ERROR) for i in ids}

    return evaluate


def _live_scope(reader: TenantReader, plan: Plan) -> Scope:
    """The plan's protected ids plus whoever is signed in now (a different caller is protected too)."""
    now_scope = resolve_scope(reader) if plan.scope.closing_admin_id is None else None
    caller = reader.caller()
    own = {a.id for a in reader.applications() if a.app_id == caller.app_id}
    extra = (now_scope.protected_ids if now_scope else frozenset()) | {caller.object_id} | own
    return Scope(plan.scope.closing_admin_id, caller.object_id, caller.app_id,
                 plan.scope.protected_ids | extra)


def _refusals(plan: Plan, reader: TenantReader, confirm: str | None, now: datetime) -> list[str]:
    reasons = []
    org = reader.organization()
    if org.id != plan.tenant_id:
        reasons.append(f"the plan is for tenant {plan.tenant_id}, but closegate is signed in to {org.id}")
    if plan.stale(now):
        age = int((now - plan.created).total_seconds() // 60)
        reasons.append(f"the plan is {age} minutes old, over its {plan.max_age_minutes}-minute limit: "
                       "run `closegate plan` again")
    typed = (confirm or "").strip().lower()
    if typed != org.primary_domain.lower() or typed != plan.primary_domain.lower():
        reasons.append("the confirmation does not match the tenant's primary domain")
    return reasons


def apply_plan(plan_path: Path, session: Session, *, confirm: str | None, options: ExecutionOptions,
               console: Console, now: datetime | None = None, quota: WriteQuota | None = None) -> list[ItemReport]:
    """Verify, confirm and apply a plan; raises ClosegateError when it must refuse."""
    plan = load_plan(plan_path)
    reader = session.reader()
    reasons = _refusals(plan, reader, confirm, now or _utc_now())
    if reasons:
        raise ConfigError("refusing to apply the plan: " + "; ".join(reasons),
                          "type the tenant's primary domain exactly, for a fresh plan of this tenant")
    first = next((i for i in plan.items if i.point_of_no_return), None)
    if first is not None and (options.step is None or int(first.step) == options.step):
        console.print(f"[bold red]point of no return:[/] {first.action_id} ({first.reversibility.value}); {first.undo}")
    if quota is not None:
        options = ExecutionOptions(options.step, options.purge, options.window, quota)
    with Journal(plan_path.parent / "journal.jsonl") as journal, _bars(console) as progress:
        executor = Executor(plan, session.graph, session.arm, journal, requirements=_requirements(session),
                            live_scope=_live_scope(reader, plan), options=options, progress=progress)
        return executor.run()


@contextmanager
def _bars(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    if not console.is_terminal:
        yield lambda label, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=max(total, 1))
            bar.update(tasks[label], completed=done)

        yield update


def print_summary(reports: Sequence[ItemReport], console: Console, tenant_now: datetime | None) -> None:
    table = Table(title="remediation summary")
    for column in ("Action", "Planned", "Changed", "Already done", "Skipped", "Failed", "Why"):
        table.add_column(column, overflow="fold")
    for r in reports:
        o = r.outcomes
        why = [r.note] if r.note else []
        why += [f"{n} x {reason}" for reason, n in sorted(r.reasons.items(), key=lambda kv: -kv[1])]
        table.add_row(r.action_id, str(r.planned), str(o.get("applied", 0) + o.get("disabled_instead", 0)),
                      str(o.get("already_done", 0) + o.get("done_earlier", 0)), str(o.get("skipped", 0)),
                      str(o.get("failed", 0)), "\n".join(why))
    console.print(table)
    sync = next((r for r in reports if r.action_id == "turn_off_directory_sync"), None)
    if sync is not None and (sync.outcomes.get("applied") or sync.outcomes.get("already_done")):
        eta = (tenant_now or _utc_now()) + SYNC_OFF_TAKES
        console.print(f"directory sync turn-off is running: it completes by {iso(eta)} at the latest (72 hours, "
                      "graph-facts §3.2); synced users are deleted by a re-run after that")


def _dry_run(plan_path: Path, step: int | None, purge: bool, console: Console) -> None:
    plan = load_plan(plan_path)
    journal = plan_path.parent / "journal.jsonl"
    state = read_state(journal) if journal.exists() else None
    console.print(f"dry run of plan {plan.plan_hash[:16]} for {plan.primary_domain}: nothing is changed "
                  "(add --apply to make these changes)")
    for item in plan.items:
        if step is not None and int(item.step) != step:
            continue
        if item.kind is Kind.MANUAL:
            console.print(f"- {item.action_id}: manual, {item.portal_link} (confirmed by {item.fixes})")
            continue
        done = sum(1 for t in item.targets
                   if state is not None and state.done(operation_id(plan.plan_hash, item.action_id, t.object_id)))
        extra = f" (only with {item.opt_in})" if item.opt_in and not (item.opt_in == "--purge" and purge) else ""
        labels = ", ".join(t.label for t in item.targets[:3]) + (" ..." if len(item.targets) > 3 else "")
        marker = "  POINT OF NO RETURN" if item.point_of_no_return else ""
        reversible = "" if item.reversibility is Reversibility.REVERSIBLE else f" [{item.reversibility.value}]"
        console.print(f"- {item.action_id}: would change {len(item.targets) - done} of {len(item.targets)}"
                      f"{extra}{reversible}{marker}: {labels}", markup=False)


def _preflight(plan: Plan, caller: Caller, step: int | None, purge: bool) -> None:
    """Refuse before the confirmation prompt when the token cannot perform an action the run would take.

    Without this a read-only app would journal a 403 per object; the operator should learn it once,
    up front, with the permission to grant. ARM needs are RBAC assignments the token does not show,
    so they are left to the executor's per-object error.
    """
    declarations = [
        perms.Declaration(item.action_id, "remediate", tuple(p for p in item.permissions if p.startswith("graph:")))
        for item in plan.items
        if item.kind is Kind.AUTOMATED and item.targets and (step is None or int(item.step) == step)
        and (not item.opt_in or (item.opt_in == "--purge" and purge))
    ]
    short = perms.missing(frozenset(caller.permissions), "remediate", declarations)
    if short:
        listed = "; ".join(f"{n.permission} (for {', '.join(n.needed_by)})" for n in short)
        raise ConfigError(f"the signed-in app lacks Microsoft Graph permission(s) {listed}",
                          f"grant them to the app registration {caller.app_id} and grant admin consent "
                          "(Entra admin center > App registrations > API permissions); nothing was changed")


def _remediate(config: Path | None, plan_path: Path, apply: bool, step: int | None, confirm: str | None,
               purge: bool, window: int) -> None:
    err = Console(stderr=True)
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        if not apply:
            _dry_run(plan_path, step, purge, console)
            return
        session = connect_session(config)
        plan = load_plan(plan_path)
        _preflight(plan, session.reader().caller(), step, purge)
        if confirm is None:
            confirm = click.prompt(f"Type the primary domain of the tenant to change ({plan.primary_domain})",
                                   err=True)
        reports = apply_plan(plan_path, session, confirm=confirm, console=err,
                             options=ExecutionOptions(step=step, purge=purge, window=window,
                                                      quota=DOCUMENTED_WRITE_QUOTA))
    except ClosegateError as exc:
        fail(exc)
    print_summary(reports, console, session.graph.last_date)
    sys.exit(FAILED if any(r.outcomes.get("failed") for r in reports) else 0)


def _verify(path: Path, repair: bool) -> None:
    console = Console()
    try:
        report = verify(path)
        if repair and report.torn_tail_bytes:
            Journal(path).close()
            report = verify(path)
    except IntegrityError as exc:
        console.print(f"journal does not verify: {exc.one_line()}", markup=False)
        sys.exit(FAILED)
    console.print(f"journal {path}: {report.records} records, chain verified, head {report.last_hash[:16]}",
                  markup=False)
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

    def default_config(config: Path | None) -> Path | None:
        return Path("closegate.toml") if config is None and Path("closegate.toml").exists() else config

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
        _plan(default_config(config), run_path, out, closing_admin, as_json)

    @group.command("remediate")
    @config_option
    @click.option("--plan", "plan_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=DEFAULT_OUT / "plan.json", show_default=True)
    @click.option("--apply", is_flag=True, help="Make the changes (default: a dry run that changes nothing).")
    @click.option("--step", type=click.IntRange(0, 5), default=None, help="Only the actions of this step.")
    @click.option("--confirm", default=None, help="The tenant's primary domain, instead of typing it.")
    @click.option("--purge", is_flag=True, help="Also empty the recycle bin (irreversible).")
    @click.option("--window", type=click.IntRange(1, 2000), default=200, show_default=True,
                  help="Objects re-read and written per round.")
    def remediate_command(config: Path | None, plan_path: Path, apply: bool, step: int | None, confirm: str | None,
                          purge: bool, window: int) -> None:
        """Apply an approved plan: re-checks each object first, journals every change, resumes after a crash.

        \b
        Examples:
          closegate remediate --plan closegate-output/plan.json            (dry run: changes nothing)
          closegate remediate --plan closegate-output/plan.json --apply --step 1
          closegate remediate --apply --confirm contoso.onmicrosoft.com     (automation)

        \b
        Exit codes: 0 done (skips are listed), 1 some changes failed, 2 refused or could not run.
        """
        _remediate(default_config(config), plan_path, apply, step, confirm, purge, window)

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
