"""The full object lists of a run record, kept beside run.json in a compressed JSON Lines file.

A million-user audit's evidence lists every user (the JSON is complete, STYLE.md); inline, run.json
grows to hundreds of megabytes and every reader holds it all. So an evidence list longer than
INLINE_LIMIT is written to the record's side file (`side_file`: run.json's is `run.objects.jsonl.gz`,
close-audit.json's `close-audit.objects.jsonl.gz`), one line per object: `{"list": KEY, "object": ...}`,
and the record keeps, in its place, a stub: `{"$objects": KEY, "count": N, "sha256": DIGEST, "head":
[the first HEAD objects]}`. DIGEST is the SHA-256 of the list's objects as canonical JSON lines, so
the run id (the hash of the record with its stubs) covers every object in the side file: a side file
edited, truncated, reordered or swapped for another run's is refused by `verify_side_file`, which
`records.read_record` (and so `closegate verify` and every command that reads a record) runs first.

Read back, a stub becomes an ObjectList: a `list` whose storage is the head (what reports show) and
whose length, iteration and indexing are those of the whole list, streamed from the side file. It
subclasses list because the reports recognise evidence tables by `isinstance(value, list)`; the
methods a list would answer from its storage alone are the ones overridden, and turning one into JSON
goes through `outline`, which writes the stub again without reading the file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from closegate.errors import IntegrityError
from closegate.files import atomic_writer

__all__ = ["HEAD", "INLINE_LIMIT", "STUB", "ObjectList", "attach", "object_lists", "outline", "side_file",
           "verify_side_file", "write_side_file"]

INLINE_LIMIT = 200  # objects; a list this long or shorter stays in run.json
HEAD = 20  # objects kept in the stub: more than any report shows of one list (reporting.view.EVIDENCE_ROWS)
STUB = "$objects"


def side_file(record_path: Path) -> Path:
    """Where the object lists of the record at `record_path` are: NAME.json -> NAME.objects.jsonl.gz."""
    path = Path(record_path)
    stem = path.name[:-5] if path.name.endswith(".json") else path.name
    return path.with_name(f"{stem}.objects.jsonl.gz")


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> bytes:
    return _CANONICAL.encode(value).encode("utf-8")


def _encoder(jsonable: Callable[[Any], Any]) -> Callable[[Any], bytes]:
    """Canonical JSON of one evidence object, what `_canonical(jsonable(item))` gives, at the C encoder's
    speed: only values JSON has no form for (datetimes, enums, records) go through `jsonable`."""
    encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=jsonable)
    return lambda item: encoder.encode(item).encode("utf-8")


def _key(check_id: str, path: Sequence[str]) -> str:
    # JSON Pointer escaping (RFC 6901), so an evidence key holding "/" cannot collide with a deeper one.
    return "/".join([check_id, *(p.replace("~", "~0").replace("/", "~1") for p in path)])


class ObjectList(list):  # type: ignore[type-arg]
    """A long evidence list read back from the side file: the head in memory, the rest streamed."""

    def __init__(self, head: Iterable[Any], *, key: str, count: int, sha256: str,
                 source: Callable[[str], Iterator[Any]]) -> None:
        super().__init__(head)
        self.key, self.total, self.sha256 = key, count, sha256
        self._source = source

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Any]:
        return self._source(self.key)

    def __getitem__(self, index: Any) -> Any:
        head = list.__len__(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            if step == 1 and start <= stop <= head:
                return list.__getitem__(self, index)
            return list(self)[index]
        if 0 <= index < head:
            return list.__getitem__(self, index)
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ObjectList):
            return (self.total, self.sha256) == (other.total, other.sha256)
        return isinstance(other, list) and len(other) == self.total and list(self) == other

    __hash__ = None

    def __repr__(self) -> str:
        return f"ObjectList({self.key!r}, count={self.total})"

    def stub(self) -> dict[str, Any]:
        return {STUB: self.key, "count": self.total, "sha256": self.sha256,
                "head": [list.__getitem__(self, i) for i in range(list.__len__(self))]}


def _long(value: Any) -> bool:
    return isinstance(value, ObjectList) or (isinstance(value, list | tuple) and len(value) > INLINE_LIMIT)


def outline(evidence: Mapping[str, Any], check_id: str, jsonable: Callable[[Any], Any]) -> Any:
    """The evidence as run.json holds it: plain JSON data, each long list replaced by its stub."""
    encode = _encoder(jsonable)

    def walk(value: Any, path: tuple[str, ...]) -> Any:
        if isinstance(value, ObjectList):
            return value.stub()
        if _long(value):
            digest = hashlib.sha256()
            for item in value:
                digest.update(encode(item) + b"\n")
            return {STUB: _key(check_id, path), "count": len(value), "sha256": digest.hexdigest(),
                    "head": [jsonable(item) for item in value[:HEAD]]}
        if isinstance(value, Mapping):
            return {str(k): walk(v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, (*path, str(i))) for i, v in enumerate(value)]
        return jsonable(value)

    return walk(evidence, ())


def object_lists(results: Iterable[Any]) -> Iterator[tuple[str, Sequence[Any]]]:
    """(key, list) of every long list in the results' evidence, in the order `outline` names them."""
    def walk(value: Any, check_id: str, path: tuple[str, ...]) -> Iterator[tuple[str, Sequence[Any]]]:
        if _long(value):
            yield _key(check_id, path), value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                yield from walk(v, check_id, (*path, str(k)))
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                yield from walk(v, check_id, (*path, str(i)))

    for result in results:
        yield from walk(result.evidence, result.check_id, ())


def write_side_file(lists: Iterable[tuple[str, Sequence[Any]]], path: Path,
                    jsonable: Callable[[Any], Any]) -> int:
    """The lists as JSON Lines, gzipped without a timestamp (the same lists give the same bytes), written
    atomically and 0600 like every closegate file; returns the objects written."""
    written = 0
    encode = _encoder(jsonable)
    with atomic_writer(path) as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0,
                                                      compresslevel=6) as out:
        for key, items in lists:
            prefix = b'{"list":' + _canonical(key) + b',"object":'
            for item in items:
                out.write(prefix + encode(item) + b"}\n")
                written += 1
    return written


_OPEN = b'{"list":'
_OBJECT = b',"object":'
_KEYS = json.JSONDecoder()


def _raw_lines(path: Path) -> Iterator[tuple[str, bytes]]:
    """(key, the object's bytes as written) per line, without parsing the object: verifying a million
    objects hashes their bytes. Only canonical bytes can match a digest, so an object rewritten in
    any other form (even an equal one) is refused, never trusted."""
    key, prefix = "", b""
    try:
        with gzip.open(path, "rb") as lines:
            for raw in lines:
                if not raw.endswith(b"}\n"):
                    raise ValueError("not an object-list line")
                if not (prefix and raw.startswith(prefix)):  # a list's lines share its prefix: decode once
                    if not raw.startswith(_OPEN):
                        raise ValueError("not an object-list line")
                    key, _ = _KEYS.raw_decode(raw[len(_OPEN):].decode("utf-8"))
                    if not isinstance(key, str):
                        raise ValueError("not an object-list line")
                    prefix = _OPEN + _canonical(key) + _OBJECT
                    if not raw.startswith(prefix):
                        raise ValueError("not an object-list line")
                yield key, raw[len(prefix):-2]
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"{path} cannot be read as the run's object lists ({type(exc).__name__})",
                             "restore the .objects.jsonl.gz written with this record, or audit again") from exc


def _lines(path: Path) -> Iterator[tuple[str, Any]]:
    for key, raw in _raw_lines(path):
        try:
            yield key, json.loads(raw)
        except ValueError as exc:
            raise IntegrityError(f"{path} holds an object that is not JSON in list {key}",
                                 "restore the .objects.jsonl.gz written with this record, or audit again") from exc


def stubs(results: Iterable[Mapping[str, Any]]) -> Iterator[tuple[dict[str, Any], Mapping[str, Any], str]]:
    """(container, stub, member) of every stub in a record's JSON results, in file order."""
    def walk(value: Any) -> Iterator[tuple[Any, Mapping[str, Any], Any]]:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            if isinstance(v, dict) and STUB in v:
                yield value, v, k
            else:
                yield from walk(v)

    for result in results:
        yield from walk(result.get("evidence"))


def verify_side_file(path: Path, expected: Mapping[str, tuple[int, str, Sequence[Any]]]) -> int:
    """Every list the record names, in full and in order, and nothing else; IntegrityError otherwise.

    `expected`: key -> (count, sha256, head) from the record's stubs; the head must be the list's first
    objects. Streams: memory does not grow with the file."""
    seen: dict[str, tuple[int, str]] = {}
    current: str | None = None
    digest = hashlib.sha256()
    count = 0
    for key, raw in _raw_lines(path):
        if key != current:
            if current is not None:
                seen[current] = (count, digest.hexdigest())
            if key in seen:
                raise IntegrityError(f"{path} holds list {key} twice", "restore the file written with this run.json")
            current, digest, count = key, hashlib.sha256(), 0
        head = expected[key][2] if key in expected else ()
        if count < len(head) and _canonical(head[count]) != raw:
            raise IntegrityError(f"{path} does not begin list {key} with the objects the run record shows",
                                 "restore the .objects.jsonl.gz written with this record, or audit again")
        digest.update(raw + b"\n")
        count += 1
    if current is not None:
        seen[current] = (count, digest.hexdigest())
    for key, (n, sha, _) in expected.items():
        if key not in seen:
            raise IntegrityError(f"{path} lacks the object list {key} the run record names",
                                 "restore the .objects.jsonl.gz written with this record, or audit again")
        if seen[key] != (n, sha):
            raise IntegrityError(f"{path} was changed: list {key} holds {seen[key][0]:,} objects that do not match "
                                 f"the {n:,} the run record's hash covers",
                                 "restore the .objects.jsonl.gz written with this record, or audit again")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise IntegrityError(f"{path} holds lists the run record does not name ({', '.join(extra[:3])})",
                             "restore the .objects.jsonl.gz written with this record, or audit again")
    return sum(n for n, _ in seen.values())


def attach(results: list[dict[str, Any]], path: Path) -> int:
    """Verify the side file against the stubs in `results` (record JSON), then put an ObjectList in each
    stub's place. Returns the objects verified; no stub: 0, and the file is not needed."""
    found = list(stubs(results))
    if not found:
        return 0
    expected: dict[str, tuple[int, str, Sequence[Any]]] = {}
    for _, stub, _ in found:
        key, count, sha, head = stub[STUB], stub["count"], stub["sha256"], stub["head"]
        if not (isinstance(key, str) and isinstance(count, int) and isinstance(sha, str) and isinstance(head, list)):
            raise IntegrityError(f"the run record's object list stub {str(key)[:80]} is malformed",
                                 "audit again to get a record that verifies")
        expected[key] = (count, sha, head)
    if not path.is_file():
        raise IntegrityError(f"{path} is missing: the run record keeps {len(expected)} object lists in it",
                             "keep it beside the record (copy the whole output folder)")
    total = verify_side_file(path, expected)

    def source(key: str) -> Iterator[Any]:
        # Hashed again as it streams: a file replaced after it was verified is refused, not shown.
        digest = hashlib.sha256()
        count = 0
        for k, item in _lines(path):
            if k == key:
                digest.update(_canonical(item) + b"\n")
                count += 1
                yield item
        if (count, digest.hexdigest()) != expected[key][:2]:
            raise IntegrityError(f"{path} changed after it was verified (list {key})",
                                 "restore the .objects.jsonl.gz written with this record, or audit again")

    for container, stub, member in found:
        container[member] = ObjectList(stub["head"], key=stub[STUB], count=stub["count"], sha256=stub["sha256"],
                                       source=source)
    return total
