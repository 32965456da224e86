"""`closegate report` renders a run record's reports; `closegate verify` proves record, signature and
reports belong together. Both work from files only: neither needs the tenant or credentials. Both read
a record (and sign-offs) another installation wrote, saying so: they show and prove files, they never
act on them; an edited one is refused (closegate.tags).

With `[signing]` in the configuration, report.pdf carries closegate's PAdES signature, and both print
the approver boxes `[signoff]` asks for; verify judges every PDF signature against `[signoff]
trust_anchors`. `closegate verify` also takes a GO certificate or closure evidence in place of RUN
(closegate.commands._verify_closure).

verify exit codes: 0 everything verified, 1 something does not match (one line per problem naming
the file and what is wrong), 2 the input cannot be used at all (missing file, not a run record).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from closegate.commands._common import read_signing_key, visible, warn
from closegate.commands._rendering import rendering
from closegate.errors import ClosegateError, IntegrityError
from closegate.reporting.objects_csv import FOLDER as OBJECTS_FOLDER
from closegate.reporting.objects_csv import INDEX as OBJECTS_INDEX

__all__ = ["register"]


class _CannotRun(click.ClickException):
    exit_code = 2  # closegate's "could not run" (closegate.cli)


def _formats(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))


_CONFIG_HELP = ("closegate.toml whose [signing], [signoff] and [records] tables to use (default: ./closegate.toml "
                "if present); no tenant is signed in to.")


def _files(config: Path | None) -> tuple[Any, Any]:
    from closegate.config import signing_files
    from closegate.session import config_path

    return signing_files(config_path(config))


@click.command("report")
@click.argument("run", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None, help=_CONFIG_HELP)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the reports (default: the folder of RUN).")
@click.option("--format", "formats", default="html,pdf,junit,csv", show_default=True,
              help="Comma-separated: html, pdf, junit, csv (every object list, report-objects/*.csv; "
                   "the JSON report is RUN itself).")
@click.option("--page-size", type=click.Choice(["a4", "letter"]), default="a4", show_default=True,
              help="Paper size of the PDF (and of printing the HTML).")
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Ed25519 private key (PEM): also write a detached signature of the run record, run.json.sig.")
def report(run: Path, config: Path | None, out: Path | None, formats: str, page_size: str,
           sign_key: Path | None) -> None:
    """Render the readiness reports of the run record RUN (run.json from `closegate audit`).

    \b
    Examples:
      closegate report closegate-output/run.json
      closegate report closegate-output/run.json --format pdf --page-size letter --sign-key signer.pem
    """
    from closegate.closure import signoffs as signoff_file
    from closegate.commands._signing import report_approvers, signing_identity
    from closegate.records import read_record, write_signature
    from closegate.reporting import render

    try:
        record = read_record(run, warn=warn)
        key = read_signing_key(sign_key)
        signing, policy = _files(config)
        signer = signing_identity(signing)
        with rendering(Console(stderr=True)) as progress:
            written = render(record, out or run.parent, _formats(formats), page_size=page_size,
                             signoffs=signoff_file.load(run.parent, warn=warn), approvers=report_approvers(policy),
                             pdf_signer=signer, signing_time=datetime.now(UTC) if signer else None,
                             progress=progress)
        if key is not None:
            written.append(write_signature(record, key, out or run.parent))
    except ClosegateError as exc:
        raise _CannotRun(exc.one_line()) from exc
    except OSError as exc:
        raise _CannotRun(f"cannot write the reports: {exc}") from exc
    click.echo(f"run {record.run_id}: {record.verdict.value.replace('_', ' ')}")
    if signer is not None:
        click.echo(visible(f"report.pdf signed (PAdES) by {signer.subject}"))
    folder = (out or run.parent) / OBJECTS_FOLDER
    lists = [path for path in written if path.parent == folder]
    for path in written:
        if path.parent != folder:
            click.echo(f"wrote {path}")
    if lists:  # one line for the object lists, which may be dozens of files
        click.echo(f"wrote {folder}{os.sep} ({len(lists)} CSV files, {OBJECTS_INDEX} names them)")


def _kind(path: Path) -> str:
    if path.suffix.lower() == ".pdf":
        return "pdf"
    if path.suffix.lower() in (".html", ".htm"):
        return "html"
    with path.open("rb") as handle:
        return "pdf" if handle.read(5) == b"%PDF-" else "html"


@click.command("verify")
@click.argument("run", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Detached signature of RUN (default: RUN.sig beside it, if present).")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Ed25519 public key (PEM) the signature must verify with; without it, the key in the "
                   "signature file is used and printed so you can compare it.")
@click.option("--report", "reports", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An HTML or PDF report that must be the report of RUN (repeatable).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None, help=_CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(run: Path, sig: Path | None, public_key: Path | None, reports: tuple[Path, ...], config: Path | None,
           as_json: bool) -> None:
    """Check that RUN is unchanged, that its signature and the given reports belong to it.

    RUN may also be a go-certificate.json (its id and signature, and its binding to the run, the
    sign-offs, its PDF and the closure evidence beside it) or a closure-evidence.json.

    \b
    Examples:
      closegate verify closegate-output/run.json --report closegate-output/report.pdf
      closegate verify closegate-output/run.json --public-key signer.pub.pem --json
      closegate verify closegate-output/go-certificate.json
    """
    from closegate.closure import signoffs as signoff_file
    from closegate.closure.certificate import CERTIFICATE_FORMAT
    from closegate.closure.evidence import EVIDENCE_FORMAT
    from closegate.closure.policy import load_anchors
    from closegate.commands._verify_closure import document_format, verify_certificate, verify_evidence
    from closegate.record_objects import side_file
    from closegate.records import Proof, read_record, verify_signature
    from closegate.reporting.integrity import verify_html, verify_pdf

    proofs: list[Proof] = []
    run_id = ""
    try:
        for path in (run, *reports, *((sig,) if sig else ()), *((public_key,) if public_key else ())):
            if not path.is_file():
                raise _CannotRun(f"{path} does not exist or is not a file")
        anchors = load_anchors(_files(config)[1].trust_anchors)
        kind = document_format(run)
        if kind in (CERTIFICATE_FORMAT, EVIDENCE_FORMAT):
            if reports or sig or public_key:
                raise _CannotRun("--report, --sig and --public-key belong to a run record: verify the GO "
                                 "certificate or closure evidence alone")
            _print(verify_certificate(run, anchors) if kind == CERTIFICATE_FORMAT else verify_evidence(run), "",
                   as_json)
        elsewhere: list[str] = []
        try:
            record = read_record(run, warn=elsewhere.append)
        except IntegrityError as exc:
            proofs.append(Proof(str(run), False, exc.cause))
        else:
            run_id = record.run_id
            # Another installation's record verifies by its hash; whether closegate wrote it cannot be told here.
            origin = f"; {elsewhere[0]}" if elsewhere else ", written by this installation"
            proofs.append(Proof(str(run), True, f"run record intact: run {run_id}{origin}"))
            lists = record.body().get("object_lists")
            if lists:  # read_record refused the record unless every list in the side file matched its hash
                proofs.append(Proof(str(side_file(run)), True, f"{lists['lists']} object lists, {lists['objects']:,} "
                                                               f"objects, exactly as run {run_id} records them"))
            signature = sig or run.with_name(run.name + ".sig")
            if sig is not None or signature.is_file():
                trusted = public_key.read_text(encoding="ascii") if public_key else None
                proofs.append(verify_signature(record.canonical_bytes(), run_id, signature, trusted))
            elif public_key is not None:
                proofs.append(Proof(str(run), False, "a public key was given but there is no signature to check"))
            recorded = signoff_file.load(run.parent, warn=lambda _why: None)
            for path in reports:
                if _kind(path) == "pdf":
                    proofs.append(verify_pdf(path, record, run_id, recorded, anchors=anchors))
                else:
                    proofs.append(verify_html(path, record, run_id, recorded))
    except ClosegateError as exc:
        raise _CannotRun(exc.one_line()) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _CannotRun(f"cannot read the input: {exc}") from exc
    _print(proofs, run_id, as_json)


def _print(proofs: list[Any], run_id: str, as_json: bool) -> NoReturn:
    ok = all(p.ok for p in proofs)
    if as_json:
        click.echo(json.dumps({"verified": ok, "run_id": run_id, "proofs": [p.to_json() for p in proofs]}, indent=2))
    else:
        for proof in proofs:
            click.echo(visible(f"{'ok' if proof.ok else 'MISMATCH'} {proof.subject}: {proof.detail}"),
                       err=not proof.ok)
    raise SystemExit(0 if ok else 1)


def register(group: click.Group) -> None:
    group.add_command(report)
    group.add_command(verify)
