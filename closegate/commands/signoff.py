"""`closegate signoff`: record one person's approval of one run, bound to the run's hash.

The command refuses a run record whose content no longer matches its run_id or its integrity tag,
and one this installation did not write (closegate.tags): an officer approves what closegate audited,
never a file someone handed over (to sign on another machine, share the record key with
[records] key_file). It appends to signoffs.json beside run.json, where the reports and the gate read
it, each approval tagged. With --sign-key the approval is also signed (Ed25519 over the run id), so it
can be checked without trusting the file it sits in. With --pdf the approvals are read from a report
the approvers signed in their PDF tool (closegate.commands._signoff_pdf).

The `[signoff]` policy of the configuration applies as the approval is recorded: a run that is not
READY cannot be approved (closegate.closure.policy.approval_refusal says why, and which run can);
with `signatures = true` an approval without a key or PDF signature is refused; a key or certificate
outside `allow` is refused. The gate applies the same policy again when it counts, so an approval
recorded before the policy changed does not count either.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from closegate.closure.policy import SignoffPolicy
from closegate.closure.signoffs import SignOff
from closegate.commands._common import (
    CANNOT_RUN,
    cut,
    cut_tokens,
    fail,
    read_signing_key,
    visible,
    warn,
    warn_if_untagged,
)
from closegate.errors import ClosegateError, ConfigError
from closegate.models import RunRecord, Status

__all__ = ["register"]

_KEY = click.Path(dir_okay=False, exists=True, path_type=Path)


def _legal_holds(record: RunRecord) -> list[str]:
    """The holds the run names in its legal-hold check(s): what a legal sign-off accepts."""
    from closegate.registry import catalog

    held = []
    for result in record.results:
        spec = catalog().get(result.check_id)
        if spec is None or not spec.legal_signoff:
            continue
        if result.status is not Status.FAIL:
            raise ConfigError(f"{result.check_id} is {result.status.value} in this run: there is no active legal "
                              "hold for a legal sign-off to accept",
                              "sign as an approver instead (without --legal), or audit again if holds were placed")
        for hold in result.evidence.get("active_holds") or ():
            held.append(f"'{hold.get('hold')}' (case '{hold.get('case')}')")
        for custodian in result.evidence.get("custodians_on_hold") or ():
            held.append(f"custodian {custodian.get('email') or custodian.get('custodian')} "
                        f"(case '{custodian.get('case')}')")
    if not held:
        raise ConfigError("the run has no legal-hold check with active holds", "audit with the full catalog first")
    return held


def _policy(config: Path | None) -> SignoffPolicy:
    from closegate.config import signing_files
    from closegate.session import config_path

    return signing_files(config_path(config))[1]


def _admit_key(signoff: SignOff, policy: SignoffPolicy, cloud: str) -> None:
    if policy.signed_only(cloud) and not signoff.signature:
        raise ConfigError("[signoff] signatures = true: an approval must be signed",
                          "sign it with --sign-key KEY.pem, or import the signed report with --pdf SIGNED.pdf")
    if signoff.signature and not signoff.is_legal and not policy.admits(*signoff.identities()):
        raise ConfigError(f"the key {signoff.key_fingerprint()} is not on the [signoff] allow-list",
                          "sign with an approver's key that [signoff] allow names, or add its fingerprint there")


def _signoff(config: Path | None, run: Path, by: str, role: str, key_path: Path | None, legal: bool) -> None:
    from closegate.closure import signoffs as signoff_file
    from closegate.closure.policy import approval_refusal
    from closegate.closure.signoffs import GENERAL, LEGAL, append_signoff, make_signoff
    from closegate.records import read_record
    from closegate.tags import installation_key

    try:
        records_key = installation_key(config)
        warn_if_untagged(records_key)
        record = read_record(run, records_key)
        policy = _policy(config)
        refusal = "" if legal else approval_refusal(record)
        if refusal:
            raise ConfigError(f"run {record.run_id[:16]} cannot be approved: {refusal}", "approve a READY run")
        held = _legal_holds(record) if legal else []
        signoff = make_signoff(record, by, role, datetime.now(UTC), read_signing_key(key_path),
                               category=LEGAL if legal else GENERAL)
        _admit_key(signoff, policy, record.tenant.cloud)
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
    what = "accepted the legal holds of" if legal else "approved"
    tenant = cut(record.tenant.name or record.tenant.id)
    click.echo(visible(f"recorded: {signoff.by} ({signoff.role}) {what} run {record.run_id} of tenant {tenant} "
                       f"({record.verdict.value.replace('_', ' ')}) at {signoff.when}, {how}"))
    if legal:
        click.echo(cut_tokens(f"legal sign-off: closing the tenant destroys what these holds preserve: {', '.join(held)}; "
                              "the gate accepts the legal-hold check for this run only (it is not one of the required "
                              "approvals)"))
    click.echo(f"{len(bound)} sign-off(s) now bound to this run in {path}")
    click.echo(f"the reports show it once re-rendered: closegate report {run}")


def _signoff_pdf(config: Path | None, run: Path, pdf: Path) -> None:
    from closegate.closure import signoffs as signoff_file
    from closegate.closure.policy import approval_refusal
    from closegate.closure.signoffs import append_signoff
    from closegate.commands._signoff_pdf import approvals_from_pdf
    from closegate.records import read_record
    from closegate.tags import installation_key

    try:
        records_key = installation_key(config)
        warn_if_untagged(records_key)
        record = read_record(run, records_key)
        refusal = approval_refusal(record)
        if refusal:
            raise ConfigError(f"run {record.run_id[:16]} cannot be approved: {refusal}", "approve a READY run")
        recorded = signoff_file.load(run.parent, records_key)
        imported = approvals_from_pdf(pdf.read_bytes(), record, _policy(config), recorded,
                                      now=datetime.now(UTC), refuse=lambda line: warn(f"refused: {line}"))
        path = run.parent / signoff_file.FILE_NAME
        for signoff in imported.new:
            path = append_signoff(run.parent, signoff, records_key)
    except ClosegateError as exc:
        fail(exc)
    except OSError as exc:
        click.echo(f"closegate: cannot import the signed PDF ({exc.strerror}: {exc.filename}): check the PDF is "
                   "readable and the folder of RUN is writable", err=True)
        sys.exit(CANNOT_RUN)
    for signoff in imported.already:
        click.echo(visible(f"already recorded: {signoff.by} (certificate {signoff.certificate_fingerprint})"))
    for signoff in imported.new:
        click.echo(visible(f"recorded: {signoff.by} ({signoff.role}) approved run {record.run_id} at {signoff.when}, "
                           f"PDF signature by {signoff.certificate}, certificate {signoff.certificate_fingerprint}"))
    bound = signoff_file.for_run(signoff_file.load(run.parent, records_key), record.run_id)
    click.echo(f"{len(bound)} sign-off(s) now bound to this run in {path}")


def register(group: click.Group) -> None:
    @group.command("signoff")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="closegate.toml whose [records] key_file to use (default: ./closegate.toml if present).")
    @click.option("--run", "run", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="The run record to approve (run.json from `closegate audit`).")
    @click.option("--by", default=None, help="Full name of the person approving.")
    @click.option("--role", default=None,
                  help="Their role, e.g. \"Compliance officer\" (with --legal: \"General counsel\").")
    @click.option("--pdf", "pdf", type=_KEY, default=None,
                  help="A report.pdf the approvers signed in their PDF tool: import each signature as a sign-off "
                       "(validated against [signoff] trust_anchors and allow; name and role come from the box).")
    @click.option("--legal", is_flag=True,
                  help="A legal sign-off: a person in a legal role accepts the active legal holds the run names "
                       "(CG-019). Counted for that check only.")
    @click.option("--sign-key", "key_path", type=_KEY, default=None,
                  help="Ed25519 private key (PEM) to sign the approval with.")
    # --key was this option's first name; report, backup and close call it --sign-key. Kept, unlisted,
    # so scripts written against the old name keep signing instead of failing on an unknown option.
    @click.option("--key", "old_key_path", type=_KEY, default=None, hidden=True)
    def signoff(config: Path | None, run: Path, by: str | None, role: str | None, pdf: Path | None, legal: bool,
                key_path: Path | None, old_key_path: Path | None) -> None:
        """Approve the run RUN: append a sign-off bound to its hash to signoffs.json beside it.

        With --legal, a person in a legal role accepts the active legal holds the run names (CG-019):
        the gate then accepts that check's failure for this run, and no other.

        \b
        Examples:
          closegate signoff --run closegate-output/run.json --by "Carla Diaz" --role "Compliance officer" \\
              --sign-key carla.pem
          closegate signoff --legal --run closegate-output/run.json --by "Ada Lovelace" --role "General counsel"
          closegate signoff --run closegate-output/run.json --pdf signed-report.pdf
        Exit codes: 0 recorded, 2 refused (an edited run record or one not written here, a run that is not
        READY, an unreadable key, a second approval by the same person or identity, a signer outside the
        trust anchors or the allow-list, a PDF of another run or a changed one).
        """
        if key_path is not None and old_key_path is not None and key_path != old_key_path:
            raise click.UsageError("--key is the old name of --sign-key: give one key, with --sign-key")
        if pdf is not None:
            if by or role or legal or key_path or old_key_path:
                raise click.UsageError("--pdf takes name, role and signature from the PDF: leave out --by, --role, "
                                       "--legal and --sign-key")
            _signoff_pdf(config, run, pdf)
            return
        if not by or not role:
            raise click.UsageError("give --by NAME and --role ROLE (or --pdf SIGNED.pdf)")
        _signoff(config, run, by, role, key_path or old_key_path, legal)
