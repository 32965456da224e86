"""`closegate diff RUN_A RUN_B`: what changed between two runs of one tenant (closegate.rundiff).

Both records are verified first: an edited one (its hash or its integrity tag no longer matches) is
refused in one line, as are records of two different tenants. A record another installation wrote is
compared with a warning, as `report` and `verify` show such files: diff decides nothing.

Exit codes: 0 nothing the checks read or decided changed, 1 something did, 2 could not compare.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from closegate.commands._common import cut, cut_tokens, fail, listed, visible, warn
from closegate.errors import ClosegateError, ConfigError
from closegate.rundiff import RunDiff, diff_runs

__all__ = ["register"]

_SHOWN = 5  # objects named per evidence change; the rest are counted (--json lists them all)


def _digest(entry: object) -> str:
    if not isinstance(entry, dict):
        return "not read"
    if "error" in entry:
        return f"unreadable ({entry['error']})"
    count = entry.get("count")
    if isinstance(count, int):
        return f"{count} object{'' if count == 1 else 's'}"
    return "a value"


def _lines(diff: RunDiff, then: Path, now: Path) -> list[str]:
    lines = []
    for label, record, path in (("A", diff.then, then), ("B", diff.now, now)):
        offline = " (offline, from a backup)" if record.offline else ""
        lines.append(visible(f"{label}: {path} run {record.run_id[:16]} ended {record.ended:%Y-%m-%d %H:%M} UTC, "
                             f"{record.verdict.value.replace('_', ' ')}{offline}"))
    if diff.same:
        lines.append("no check changed status and no fact a check reads changed")
    if diff.statuses:
        lines.append(f"checks whose status changed ({len(diff.statuses)}):")
        for s in diff.statuses:
            lines.append(visible(f"  {s.check_id} {s.title}: {s.then or '(not run)'} -> {s.now or '(not run)'}"))
            lines.append("    now: " + cut_tokens(s.message_now or "(not run)"))
    if diff.facts:
        lines.append(f"facts read differently ({len(diff.facts)}):")
        lines += [visible(f"  {c.fact.replace('_', ' ')}: {_digest(c.then)} then, {_digest(c.now)} now")
                  for c in diff.facts]
    if diff.evidence:
        lines.append("objects added and removed, per check:")
        for e in diff.evidence:
            parts = [f"{sign}{len(names)} ({listed(list(names), _SHOWN)})"
                     for sign, names in (("+", e.added), ("-", e.removed), ("~", e.changed)) if names]
            lines.append(visible(f"  {e.check_id} {e.field.replace('_', ' ')}: ") + ", ".join(parts))
    for check_id, was, now_ in diff.attestations:
        lines.append(f"attestation of {check_id}: {_attestation(was)} -> {_attestation(now_)}")
    for label, signoffs in (("A", diff.signoffs_then), ("B", diff.signoffs_now)):
        names = [f"{s.by} ({s.role}{', legal' if s.is_legal else ''}, {s.verification().value})" for s in signoffs]
        lines.append(f"sign-offs bound to {label}: " + (listed(names, _SHOWN) if names else "none"))
    return lines


def _attestation(value: object) -> str:
    if not isinstance(value, dict):
        return "none"
    return cut(f"by {value.get('by')} on {str(value.get('when'))[:10]}: {value.get('statement')}")


def _diff(then: Path, now: Path, as_json: bool) -> None:
    from closegate.closure import signoffs as signoff_file
    from closegate.records import read_record

    try:
        records = [read_record(path, warn=warn) for path in (then, now)]
        if records[0].tenant.id.lower() != records[1].tenant.id.lower():
            raise ConfigError(f"{then} is a run of tenant {records[0].tenant.id or '(unknown)'} and {now} of tenant "
                              f"{records[1].tenant.id or '(unknown)'}", "compare two runs of the same tenant")
        signoffs = [signoff_file.load(path.parent, warn=warn) for path in (then, now)]
    except ClosegateError as exc:
        fail(exc, "closegate diff")
    diff = diff_runs(records[0], records[1], signoffs[0], signoffs[1])
    if as_json:
        # ASCII: a tenant's control characters reach the terminal only as JSON escapes.
        click.echo(json.dumps(diff.to_json(), indent=2, sort_keys=True, ensure_ascii=True))
    else:
        click.echo("\n".join(_lines(diff, then, now)))
    sys.exit(0 if diff.same else 1)


def register(group: click.Group) -> None:
    @group.command("diff")
    @click.argument("run_a", type=click.Path(dir_okay=False, path_type=Path))
    @click.argument("run_b", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON (every object named).")
    def diff(run_a: Path, run_b: Path, as_json: bool) -> None:
        """Show what changed from run RUN_A to run RUN_B: checks whose status changed, facts read differently,
        objects added and removed per check, attestations, and the sign-offs bound to each.

        \b
        Example (what changed since the signed run):
          closegate diff signed/run.json closegate-output/run.json

        \b
        Exit codes: 0 nothing changed, 1 something changed, 2 could not compare (an edited record, runs
        of two tenants, a file that is not a run record).
        """
        _diff(run_a, run_b, as_json)
