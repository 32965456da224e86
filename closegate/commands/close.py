"""`closegate close`: open the final gate for one run, do what the API allows, and watch the tenant go.

The command wires objects and maps outcomes to exit codes; the gate (closegate.gate) decides, the
closer (closegate.closure.final_step) acts, and the probe (closegate.closure.evidence) proves. The run
file only names what was signed: right before acting, close audits the tenant again (written beside it
as close-audit.json) and the gate judges that audit, so no file can stand in for the tenant. Once
the GO certificate of a run exists, running close again for that run only waits (closegate may no
longer be able to sign in by then: it deleted its own registration), so a wait that timed out can
simply be resumed with --wait.

Exit codes: 0 done (GO certificate issued; with --wait, the tenant is gone and the evidence written),
1 the gate is shut or the final step failed (every reason printed), 2 unusable input (run record,
configuration, sign-in), 3 --wait timed out before Entra reported the tenant gone.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from closegate.commands._common import CANNOT_RUN, cut, cut_tokens, fail, read_signing_key, shown, visible, warn
from closegate.commands._signing import signing_identity
from closegate.errors import ClosegateError
from closegate.facts import ORGANIZATION
from closegate.models import Status

if TYPE_CHECKING:
    from closegate.closure.certificate import GoCertificate
    from closegate.closure.final_step import FinalStep
    from closegate.gate import GateDecision

__all__ = ["register"]

SHUT, TIMED_OUT = 1, 3
CLOSE_AUDIT_FILE = "close-audit.json"  # the audit close runs right before acting: what the gate judged


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _print_shut(reasons: tuple[str, ...], console: Console) -> None:
    console.print(f"[bold red]gate SHUT[/]: {len(reasons)} condition(s) unmet; nothing was changed")
    for reason in reasons:
        console.print(f"  - {cut_tokens(reason)}", markup=False, highlight=False)


def _print_final(final: FinalStep, console: Console) -> None:
    table = Table(title=f"final step ({final.closer})")
    for column in ("Action", "Planned", "Changed", "Already done", "Skipped", "Failed", "Notes"):
        table.add_column(column, overflow="fold")
    for a in final.actions:
        table.add_row(a.action_id, str(a.planned), str(a.changed), str(a.already_done), str(a.skipped),
                      str(a.failed), Text("\n".join(cut_tokens(n) for n in a.notes)))
    console.print(table)
    console.print(f"journal: {final.journal} (head {final.journal_head[:16]})", markup=False)


def _print_handoff(final: FinalStep, console: Console) -> None:
    console.print(f"closegate's own registration: {visible(final.own_app)}", markup=False, highlight=False)
    if final.tenant_deleted:
        console.print("the closer deleted the tenant through the API: no portal step remains")
        return
    console.print("[bold]The portal step for the Global Administrator[/] (no public API deletes a workforce tenant):")
    for n, step in enumerate(final.handoff, 1):
        console.print(f"  {n}. {visible(step)}", markup=False, highlight=False)


def _wait(config: Path | None, certificate: GoCertificate, out: Path, poll_seconds: float, timeout_minutes: float,
          console: Console) -> int:
    from closegate.closure.certificate import PDF_FILE
    from closegate.closure.evidence import (
        ClosureEvidence,
        OidcDiscoveryProbe,
        wait_until_gone,
        write_evidence,
    )
    from closegate.config import load_settings
    from closegate.graph.transport import RequestsTransport, new_session
    from closegate.session import config_path

    settings = load_settings(config_path(config))  # no sign-in: the probe is anonymous
    session = new_session(pool_size=1, ca_bundle=settings.cloud.ca_bundle, timeout=settings.timeout_seconds)
    probe = OidcDiscoveryProbe(settings.cloud.authority_host, RequestsTransport(session),
                               timeout=settings.timeout_seconds)
    console.print(f"waiting until Entra reports tenant {certificate.tenant_id} gone (every {poll_seconds:g} s, "
                  f"at most {timeout_minutes:g} min): {probe.url.replace('{tenant}', certificate.tenant_id)}",
                  markup=False)
    try:
        result = wait_until_gone(probe, certificate.tenant_id, poll_seconds=poll_seconds,
                                 timeout_seconds=timeout_minutes * 60,
                                 on_poll=lambda o: console.print(f"  {o.to_json()['at']} {o.outcome}", markup=False))
    finally:
        session.close()
    if not result.gone:
        last = result.history[-1]
        console.print(f"[bold yellow]timed out[/]: after {len(result.history)} look(s) the tenant still answers "
                      f"({last.outcome}). Complete the portal step, then resume with "
                      f"`closegate close --run {out / 'run.json'} --wait`")
        return TIMED_OUT
    pdf = out / PDF_FILE
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest() if pdf.exists() else ""
    path = write_evidence(ClosureEvidence(certificate.tenant_id, certificate.run_id, certificate.certificate_id,
                                          digest, probe.url, result), out)
    proof = result.proof
    assert proof is not None
    console.print(f"[bold green]tenant {certificate.tenant_id} is gone[/]: first seen gone {proof.to_json()['at']} "
                  f"({proof.outcome})")
    console.print(f"closure evidence: {path}", markup=False)
    return 0


def _close(config: Path | None, run: Path, confirm: str | None, wait: bool, poll_seconds: float,
           timeout_minutes: float, sign_key: Path | None, keep_own_app: bool, console: Console) -> int:
    from closegate.attestations import gather
    from closegate.closure import signoffs as signoff_file
    from closegate.closure.certificate import (
        JSON_FILE,
        issue,
        load_certificate,
        write_certificate,
    )
    from closegate.closure.final_step import (
        ClosureContext,
        PortalHandoffCloser,
    )
    from closegate.closure.signoffs import SignoffRequirement
    from closegate.config import local_settings
    from closegate.gate import Commands, LiveTenant, decide
    from closegate.records import read_record, write_record
    from closegate.registry import catalog
    from closegate.remediation.requirements import live_requirements
    from closegate.reporting.go_certificate import render_go_certificate_pdf, sign_go_certificate_pdf
    from closegate.runner import RunSettings
    from closegate.runner import run as audit
    from closegate.session import config_path, open_session
    from closegate.tags import installation_key

    # The gate refuses a run or a sign-off this installation did not write, or that was edited after
    # it did (closegate.tags): a forged file must not even reach the decision, let alone the tenant.
    records_key = installation_key(config)
    record = read_record(run, records_key)
    out = run.parent
    key = read_signing_key(sign_key)
    if (out / JSON_FILE).exists():
        existing = load_certificate(out / JSON_FILE)
        if existing.run_id == record.run_id:
            console.print(f"the final step already ran for run {record.run_id[:16]}: GO certificate "
                          f"{out / JSON_FILE} (issued {existing.body['issued']})", markup=False)
            if not wait:
                console.print("pass --wait to wait for the tenant to be gone and record the closure evidence")
                return 0
            return _wait(config, existing, out, poll_seconds, timeout_minutes, console)

    signoffs = signoff_file.load(out, records_key)
    session = open_session(config)
    settings = session.settings
    requirement = SignoffRequirement(signoffs, settings.signoff_required, settings.signoff)
    pdf_signer = signing_identity(settings.signing)  # before acting: a wrong passphrase must stop close here
    org = session.reader().read(ORGANIZATION)  # re-read now: the run must be of the tenant signed in to
    live = LiveTenant(org.id, org.primary_domain)
    max_age = timedelta(minutes=settings.audit_max_age_minutes)
    attestations = gather(local_settings(config_path(config)).state_dir, out, warn)
    console.print(f"auditing {shown(cut(org.display_name))} again before acting: the gate judges the tenant as it is now")
    fresh = audit(session.reader(), catalog(), RunSettings(
        attestations=attestations, tenant_id=settings.tenant_id, cloud=settings.cloud.name,
        request_stats=session.stats.snapshot))
    write_record(fresh, out, records_key, name=CLOSE_AUDIT_FILE)

    def gate(typed: str | None) -> GateDecision:
        return decide(record, catalog(), now=_utc_now(), max_age=max_age, attestations=attestations,
                      signoffs=requirement, live=live, confirmation=typed, fresh=fresh,
                      commands=Commands(str(config) if config else None, str(out), str(run)))

    decision = gate(confirm)
    if decision.open and confirm is None:
        console.print(f"the gate is open for run {record.run_id[:16]} of {shown(cut(org.display_name))}. What follows "
                      "purges the recycle bin (irreversible) and deletes closegate's own registration.")
        decision = gate(click.prompt(f"Type the primary domain of the tenant to close ({visible(org.primary_domain)})",
                                     err=True))
    if not decision.open:
        _print_shut(decision.reasons, console)
        return SHUT
    console.print(f"[bold green]gate OPEN[/] for run {record.run_id} of {shown(cut(org.display_name))} ({shown(org.id)})")
    for signoff in requirement.legal(record.run_id, _utc_now()):
        failing = [r.check_id for r in record.results if r.status is Status.FAIL and r.legal_signoff]
        console.print(visible(f"legal sign-off by {signoff.by} ({signoff.role}) accepts {', '.join(failing)}: the "
                              "legal holds it names are destroyed with the tenant"), markup=False)

    now = _utc_now()
    closer = PortalHandoffCloser(delete_own_app=not keep_own_app)
    final = closer.close(ClosureContext(record, session.graph, session.reader,
                                        live_requirements(session.reader, org.id), out, now, key=records_key))
    _print_final(final, console)
    if not final.complete:
        console.print("[bold red]the final step is incomplete[/]: no GO certificate was issued and closegate kept "
                      "its registration. Fix what the notes say, then audit and close again.")
        return SHUT
    legal = requirement.legal(record.run_id, now)
    accepted = [r.check_id for r in record.results
                if r.status is Status.FAIL and (spec := catalog().get(r.check_id)) is not None and spec.legal_signoff
                and spec.blocking]
    certificate = issue(record, requirement.counted(record.run_id, now), settings.signoff_required, final,
                        issued=now, max_age_minutes=settings.audit_max_age_minutes, key=key,
                        legal=legal if accepted else (), accepted=accepted)
    pdf = render_go_certificate_pdf(certificate.to_json())
    if pdf_signer is not None:
        pdf = sign_go_certificate_pdf(pdf, certificate.to_json(), pdf_signer, signing_time=now)
    json_path, pdf_path = write_certificate(certificate, out, pdf)
    signed = "signed (Ed25519)" if certificate.signature else "not signed (pass --sign-key to sign it)"
    signed += f", PDF signed (PAdES) by {pdf_signer.subject}" if pdf_signer is not None else ""
    console.print(f"[bold]GO certificate[/] {certificate.certificate_id}, {signed}: {json_path}, {pdf_path}",
                  highlight=False)
    _print_handoff(final, console)
    if not wait:
        console.print(f"after the portal delete, record the closure evidence: closegate close --run {run} --wait",
                      markup=False)
        return 0
    return _wait(config, certificate, out, poll_seconds, timeout_minutes, console)


def register(group: click.Group) -> None:
    @group.command("close")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="closegate.toml (default: ./closegate.toml if present, else AZURE_* environment).")
    @click.option("--run", "run", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="The fresh run record the sign-offs are bound to (they and the attestations are read "
                       "beside it); close audits the tenant again and the gate judges that audit against it.")
    @click.option("--confirm", default=None, metavar="DOMAIN",
                  help="The tenant's primary domain, typed for automation instead of at the prompt.")
    @click.option("--wait", is_flag=True, help="Then poll until Entra reports the tenant gone; write the evidence.")
    @click.option("--poll-seconds", type=click.FloatRange(min=0), default=30.0, show_default=True,
                  help="Seconds between looks at the tenant while waiting.")
    @click.option("--timeout-minutes", type=click.FloatRange(min=0), default=120.0, show_default=True,
                  help="Give up waiting after this long (exit 3); resume later with --wait.")
    @click.option("--sign-key", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                  help="Ed25519 private key (PEM) to sign the GO certificate with.")
    @click.option("--keep-own-app", is_flag=True,
                  help="Do not delete closegate's own registration; the Global Administrator deletes it first.")
    def close(config: Path | None, run: Path, confirm: str | None, wait: bool, poll_seconds: float,
              timeout_minutes: float, sign_key: Path | None, keep_own_app: bool) -> None:
        """Open the final gate for RUN, do what the API allows, issue the GO certificate, hand over the delete.

        \b
        The gate opens only for a fresh, complete run of this tenant where every blocking check passed
        and every attestation is recorded, with the required sign-offs bound to it, once the operator
        has typed the tenant's primary domain, and only if the audit close runs right before acting
        (close-audit.json) is READY and matches that run. Then closegate purges the recycle bin, disables the
        Microsoft service principals that cannot be deleted, and deletes its own registration as its
        last API call (it cannot sign in after that), writes go-certificate.json/.pdf beside RUN and
        prints the portal step. With --wait it then polls the tenant's public sign-in metadata until
        Entra answers AADSTS90002 and writes closure-evidence.json.

        \b
        Example:
          closegate close --run closegate-output/run.json --wait
        Exit codes: 0 done, 1 gate shut or final step failed, 2 unusable input, 3 wait timed out.
        """
        console = Console(width=None if sys.stdout.isatty() else 160)
        try:
            code = _close(config, run, confirm, wait, poll_seconds, timeout_minutes, sign_key,
                          keep_own_app, console)
        except ClosegateError as exc:
            fail(exc)
        except OSError as exc:
            click.echo(f"closegate: cannot write beside the run record ({exc.strerror}: {exc.filename}): make its "
                       "folder writable", err=True)
            sys.exit(CANNOT_RUN)
        sys.exit(code)
