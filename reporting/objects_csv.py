"""Every list of objects the checks found, in full, as CSV files beside run.json (report-objects/).

The reports show the first few rows of each list; run.json has them all, and these files put them
where a compliance officer works: one CSV per list (`CG-004-users.csv`: the users CG-004 found), and
`index.csv` naming each file, its check, its list, its row count, the count the check reported (when
the check itself kept only the first rows) and the run it comes from. They are written from the run
record alone, like every report.

Tenant strings become spreadsheet cells, so a cell that begins with a character a spreadsheet reads as
a formula (=, +, -, @, tab, carriage return, NUL) is prefixed with a single quote, as OWASP advises
(https://owasp.org/www-community/attacks/CSV_Injection; ASVS 5.0 V1.2.10 adds NUL). Quoting and
embedded quotes follow RFC 4180 (the csv module). The files are UTF-8 with a byte order mark, without
which Excel reads them in the machine's code page and garbles every non-ASCII name
(https://stackoverflow.com/questions/155097). Nothing else in a cell is changed: these are the data.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from closegate.files import write_atomic
from closegate.models import RunRecord

__all__ = ["FOLDER", "INDEX", "ObjectList", "file_name", "object_lists", "safe_cell", "write_objects"]

FOLDER = "report-objects"
INDEX = "index.csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
_CHECK_ID = re.compile(r"CG-\d{3}")
# What this module writes, and so what it may replace: a stale list of an earlier run must not stay.
_OURS = re.compile(r"(CG-\d{3}|check-[0-9a-f]{12})-([a-z][a-z0-9_]{0,59}|list-[0-9a-f]{12})\.csv")


@dataclass(frozen=True)
class ObjectList:
    check_id: str
    key: str  # the evidence key, as the run record has it
    file: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    reported: int | None  # the count the check reported (evidence "<key>_count"), when it has one


def file_name(check_id: str, key: str) -> str:
    """The CSV file of one list: `CHECK-key.csv`, with a digest in place of any name unfit for a file."""
    check = check_id if _CHECK_ID.fullmatch(check_id) else f"check-{sha256(check_id.encode()).hexdigest()[:12]}"
    name = key if _KEY.fullmatch(key) else f"list-{sha256(key.encode()).hexdigest()[:12]}"
    return f"{check}-{name}.csv"


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet cell that cannot become a formula; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _rows(items: Sequence[Any]) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    if all(isinstance(item, Mapping) for item in items):
        # Sorted, as the canonical JSON of the run record orders them.
        columns = tuple(sorted({str(k) for item in items for k in item}))
        return columns, tuple(tuple(item.get(c) for c in columns) for item in items)
    return ("value",), tuple((item,) for item in items)


def object_lists(record: RunRecord) -> tuple[ObjectList, ...]:
    """Every non-empty list in every check's evidence, whole, in run order and key order."""
    lists: list[ObjectList] = []
    for result in record.results:
        for key, value in sorted(result.evidence.items()):
            if not isinstance(value, list) or not value or key == "where_to_look":
                continue
            columns, rows = _rows(value)
            count = result.evidence.get(f"{key}_count")
            reported = count if isinstance(count, int) and not isinstance(count, bool) else None
            lists.append(ObjectList(result.check_id, key, file_name(result.check_id, key), columns, rows, reported))
    return tuple(lists)


def _csv(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line breaks
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def write_objects(record: RunRecord, out_dir: Path, *, run_id: str | None = None) -> list[Path]:
    """Write OUT/report-objects/*.csv and its index.csv (0600, atomically); returns the paths written.

    CSV files an earlier run left there under a name this module writes are removed; no other file is."""
    run_id = run_id or record.run_id
    folder = Path(out_dir) / FOLDER
    lists = object_lists(record)
    written = [write_atomic(folder / item.file, _csv(item.columns, item.rows)) for item in lists]
    keep = {item.file for item in lists}
    for stale in sorted(folder.glob("*.csv")):
        if _OURS.fullmatch(stale.name) and stale.name not in keep:
            stale.unlink()
    index = [(item.file, item.check_id, item.key, len(item.rows), item.reported, run_id) for item in lists]
    written.append(write_atomic(folder / INDEX, _csv(("file", "check", "list", "rows", "reported", "run_id"), index)))
    return written
