"""Export the directory before the closure destroys it: every source of `sources.SOURCES`, streamed.

Pages go straight from Graph into each source's gzip file, and per-object reads (members, owners,
per-user MFA) take their parent ids from the parent's finished file in chunks, so memory stays flat
whatever the tenant's size. A source the tenant refuses (a missing permission, an endpoint this
Graph does not serve) is recorded as unavailable with the cause instead of failing the whole
backup; throttling and network failures stop the run, and the next run resumes after the last
completed file (journal.py). Replacing a complete backup never deletes it first (replace.py).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate import __version__
from closegate.backup.journal import JOURNAL, Journal
from closegate.backup.jsonl import JsonlWriter, iter_records
from closegate.backup.manifest import (
    MANIFEST,
    SIGNATURE,
    FileEntry,
    Manifest,
    sign_manifest,
)
from closegate.backup.replace import carry_attestations, fresh_staging, swap_in
from closegate.backup.secrets import export_secret, parse_recipient
from closegate.backup.sources import CONTENT_NOTE, SOURCES, Source, source_named
from closegate.backup.verify import verify_backup
from closegate.errors import (
    ConfigError,
    GraphError,
    IntegrityError,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    Throttled,
)
from closegate.files import write_atomic
from closegate.graph import BatchItem, BatchOutcome, BatchRunner, GraphClient
from closegate.licences import not_licensed

__all__ = ["NOT_REQUESTED", "ExportResult", "Secrets", "export_backup", "probe_properties"]

_PARENT_CHUNK = 1000  # parent ids per BatchRunner call: 50 $batch calls in flight, bounded memory
_REFUSED = frozenset({400, 404, 405, 501})  # the endpoint is not served here; retrying will not help
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_REQUESTED = ("not read: Microsoft audits every recovery key read, so closegate reads them only with "
                 "`closegate backup --include-bitlocker-keys` (encrypted to [backup] recipient)")


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    manifest: Manifest
    reused: tuple[str, ...]  # sources completed by an earlier, interrupted run
    signature: Path | None = None  # manifest.json.sig, when a signing key was given
    previous: Path | None = None  # where a replaced backup was kept (replace.swap_in)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Secrets:
    """Whether secret material (BitLocker recovery keys) is read, and who it is encrypted to."""

    include: bool = False  # `--include-bitlocker-keys`: every key read is audited by Microsoft
    recipient: str = ""  # [backup] recipient (age); required when include is set
    on_read: Callable[[Source], None] = lambda source: None  # told before the first secret is read


def export_backup(
    graph: GraphClient,
    directory: Path,
    *,
    replace: bool = False,
    sign_key: Ed25519PrivateKey | None = None,
    clock: Callable[[], datetime] = _utc_now,
    on_file: Callable[[FileEntry, bool], None] = lambda entry, reused: None,
    secrets: Secrets = Secrets(),
) -> ExportResult:
    """Back the tenant up into `directory` (resuming an unfinished backup there); write manifest.json.

    The manifest is signed here, before a replacing backup is swapped in, so what lands in
    `directory` is complete, signed and verified at once. Replacing a complete backup writes the new
    one beside it first (replace.py): an interruption leaves the old one in place.
    """
    if secrets.include and not secrets.recipient:
        raise ConfigError("--include-bitlocker-keys needs [backup] recipient: the keys are written only encrypted",
                          "set [backup] recipient in closegate.toml to an age public key (age-keygen prints one)")
    if secrets.include:
        parse_recipient(secrets.recipient)  # a bad recipient fails before anything is read
    if replace and (directory / MANIFEST).exists():
        return _replace(graph, directory, sign_key, clock, on_file, secrets)
    directory.mkdir(parents=True, exist_ok=True)
    _prepare(directory, replace)
    return _export_into(graph, directory, sign_key, clock, on_file, secrets)


def _replace(graph: GraphClient, directory: Path, sign_key: Ed25519PrivateKey | None,
             clock: Callable[[], datetime], on_file: Callable[[FileEntry, bool], None],
             secrets: Secrets) -> ExportResult:
    target = directory.resolve()  # "." has no name to derive the sibling directories from
    staging = fresh_staging(target)
    staged = _export_into(graph, staging, sign_key, clock, on_file, secrets)
    check = verify_backup(staging, sign_key.public_key() if sign_key else None)
    if not check.ok:
        raise IntegrityError(f"the new backup in {staging} does not verify ({check.problems[0]})",
                             f"{directory} still holds the previous backup, unchanged; "
                             "run `closegate backup --replace` again")
    carry_attestations(target, staging)
    previous = swap_in(staging, target, clock())
    return ExportResult(directory, staged.manifest, staged.reused,
                        directory / SIGNATURE if staged.signature else None, previous)


def _export_into(graph: GraphClient, directory: Path, sign_key: Ed25519PrivateKey | None,
                 clock: Callable[[], datetime], on_file: Callable[[FileEntry, bool], None],
                 secrets: Secrets) -> ExportResult:
    org = graph.get_all("/v1.0/organization")
    if len(org) != 1 or not isinstance(org[0].get("id"), str):
        raise MalformedResponse(f"/organization returned {len(org)} objects instead of 1", "report this")
    journal = Journal.resume_or_start(directory, org[0]["id"], _tenant_now(graph), clock())
    reused: list[str] = []
    for source in SOURCES:
        entry = journal.completed(source.name)
        if entry is not None:
            reused.append(source.name)
        else:
            entry = _export_source(graph, directory, journal, source, org, secrets)
            journal = journal.record(entry)
        on_file(entry, entry.name in reused)
    manifest = Manifest(tenant_id=journal.tenant_id, tool_version=__version__,
                        started_tenant=journal.started_tenant, started_local=journal.started_local,
                        completed_tenant=_tenant_now(graph), completed_local=clock(), content_note=CONTENT_NOTE,
                        files=tuple(e for s in SOURCES for e in journal.done if e.name == s.name))
    write_atomic(directory / MANIFEST, manifest.dumps())
    journal.remove()
    signature = sign_manifest(directory, sign_key) if sign_key else None
    return ExportResult(directory, manifest, tuple(reused), signature)


def _prepare(directory: Path, replace: bool) -> None:
    manifest = directory / MANIFEST
    if manifest.exists() and not replace:
        raise ConfigError(f"{directory} already holds a complete backup",
                          "pass --replace to take a new one there (attestations are kept), or choose another --out")
    if replace:
        # Only an unfinished backup is here (a complete one is replaced beside it): start it over.
        for name in (SIGNATURE, JOURNAL, *(s.file for s in SOURCES)):
            (directory / name).unlink(missing_ok=True)
    for part in directory.glob("*.part"):
        part.unlink()  # a file cut off by an interruption restarts from its beginning


def _tenant_now(graph: GraphClient) -> datetime:
    if graph.last_date is None:
        raise MalformedResponse("Graph answered without a Date header", "report this; the tenant clock is unknown")
    return graph.last_date


def _export_source(graph: GraphClient, directory: Path, journal: Journal, source: Source,
                   org: list[dict[str, Any]], secrets: Secrets) -> FileEntry:
    if source.kind == "secret" and not secrets.include:
        return FileEntry(source.name, None, complete=True, unavailable=NOT_REQUESTED)
    if source.parent:
        parent = next((e for e in journal.done if e.name == source.parent), None)
        if parent is None or parent.unavailable:
            return FileEntry(source.name, None, complete=True,
                             unavailable=f"needs {source.parent}, which is unavailable")
    try:
        if source.kind == "secret":
            secrets.on_read(source)
            return export_secret(graph, directory, source, secrets.recipient)
        properties = probe_properties(graph, source) if source.properties else ()
        with JsonlWriter(directory / source.file) as writer:
            for record in _records(graph, directory, source, properties, org):
                writer.write(record)
    except Throttled:
        raise
    except GraphError as exc:
        if not isinstance(exc, PermissionDenied | NotFound) and exc.status not in _REFUSED:
            raise
        return FileEntry(source.name, None, complete=True, unavailable=_not_available(exc))
    return FileEntry(source.name, source.file, sha256=writer.sha256, objects=writer.objects, bytes=writer.bytes,
                     complete=True, properties=properties)


def _not_available(exc: GraphError) -> str:
    """Why a source is not in the backup. A licence the tenant lacks is named as such: without P2 there
    is no eligibility to keep, without premium no registration report (closegate.licences)."""
    gap = not_licensed(exc)
    return f"not available: {gap.reason if gap is not None else exc.one_line()}"


def _records(graph: GraphClient, directory: Path, source: Source, properties: tuple[str, ...],
             org: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    base = f"/{source.api}{source.path}"
    if source.name == "organization":
        yield from org  # already read to learn the tenant id; no second request
    elif source.kind == "list":
        params = dict(source.params)
        if properties:
            params["$select"] = ",".join(properties)
        if source.top:
            params["$top"] = "999"
        for page in graph.iter_pages(base, params=params):
            yield from page
    elif source.kind == "entity":
        body = graph.get(base)
        body.pop("@odata.context", None)
        yield body
    elif source.kind == "report":
        yield from _report_rows(graph, base)
    else:
        yield from _per_parent(graph, directory, source)


def _report_rows(graph: GraphClient, path: str) -> Iterator[dict[str, Any]]:
    # 302 to a pre-authenticated CSV fetched without the bearer token (graph-facts §1.1).
    resp = graph.send("GET", graph.url(path))
    if resp.status in _REDIRECTS:
        location = resp.header("location")
        if not location:
            raise MalformedResponse(f"the usage report {path} redirect has no Location", "report this")
        body = graph.download(location)
    else:
        body = resp.body
    # Columns are read by header name, never by position (graph-facts §1.1 note).
    yield from csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))


def _per_parent(graph: GraphClient, directory: Path, source: Source) -> Iterator[dict[str, Any]]:
    parents = (r for r in iter_records(directory / source_named(source.parent).file) if source.wants(r))
    runner = BatchRunner(graph, api=source.api)
    query = ("?" + urlencode(source.params, safe="$,'()=/", quote_via=quote)) if source.params else ""
    while chunk := list(itertools.islice(parents, _PARENT_CHUNK)):
        links = [{name: str(parent.get(name) or "") for name in source.carry} for parent in chunk]
        items = [BatchItem(id=str(i), method="GET", url=source.path.format(id=parent["id"], **link) + query)
                 for i, (parent, link) in enumerate(zip(chunk, links, strict=True))]
        outcomes = runner.run(items)
        for i, parent in enumerate(chunk):
            kept = {**links[i], source.link: str(parent["id"])}
            yield from _parent_records(graph, source, kept, outcomes[str(i)])


def _parent_records(graph: GraphClient, source: Source, kept: dict[str, str],
                    outcome: BatchOutcome) -> Iterator[dict[str, Any]]:
    """The child records of one parent, each carrying `kept` (the parent's id and carried fields)."""
    if isinstance(outcome.error, NotFound):
        return  # deleted since its parent list was read: nothing left to keep
    if outcome.error is not None:
        raise outcome.error
    body = outcome.body if isinstance(outcome.body, dict) else None
    if body is None:
        raise MalformedResponse(f"a $batch answer for {source.path} is not a JSON object", "report this")
    if source.kind == "per_object":
        body.pop("@odata.context", None)
        yield {**kept, **body}
        return
    value = body.get("value")
    if not isinstance(value, list):
        raise MalformedResponse(f"a $batch answer for {source.path} has no 'value' list", "report this")
    yield from ({**kept, **item} for item in value)
    link = body.get("@odata.nextLink")
    if isinstance(link, str):
        # The rest of a long list is paged outside the batch, with the whole next link (§2.1).
        for page in graph.iter_pages(link):
            yield from ({**kept, **item} for item in page)


def probe_properties(graph: GraphClient, source: Source) -> tuple[str, ...]:
    """The candidate properties this Graph lets a list request $select, tried one per $batch item.

    One refused property fails a whole request, and which ones are served varies by cloud and
    permission; twenty probes per $batch settle it in a few requests, by status code alone.
    """
    items = [BatchItem(id=str(i), method="GET",
                       url=f"{source.path}?$top=1&$select=" + quote(f"id,{name}" if name != "id" else "id", safe=","))
             for i, name in enumerate(source.properties)]
    outcomes = BatchRunner(graph, api=source.api).run(items)
    kept = []
    for i, name in enumerate(source.properties):
        error = outcomes[str(i)].error
        if error is None:
            kept.append(name)
        elif isinstance(error, Throttled) or not isinstance(error, GraphError) or (
                not isinstance(error, PermissionDenied) and error.status not in _REFUSED):
            raise error
    if "id" not in kept:
        raise MalformedResponse(f"{source.path} refused $select=id", "report this response")
    return tuple(kept)

