"""What an attacker with write access to closegate's output folder does (issue 18), as test helpers.

`rehash_*` recompute the plain SHA-256 a file carries, as anyone can; `retag` also recomputes the keyed
integrity tag, which only someone holding closegate's record key can: tests use it to prove that the
live re-checks hold even when the tag is defeated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from closegate.tags import FIELD, installation_key

__all__ = ["edit_plan", "edit_run", "rehash_plan", "rehash_run", "retag"]


def _sha(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def rehash_run(data: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in data.items() if k not in ("run_id", FIELD)}
    return {**data, "run_id": _sha(body)}


def rehash_plan(data: dict[str, Any]) -> dict[str, Any]:
    """The counts a plan states follow its targets, and its hash follows its content, as a careful forger does."""
    for item in data["items"]:
        item["count"] = len(item["targets"])
    data = {**data, "summary": {item["action_id"]: len(item["targets"]) for item in data["items"]}}
    body = {k: v for k, v in data.items() if k not in ("plan_hash", FIELD)}
    return {**data, "plan_hash": _sha(body)}


def retag(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """The document tagged with the installation's key, as if closegate had written it."""
    return installation_key().sealed(kind, {k: v for k, v in data.items() if k != FIELD})


def _edit(path: Path, change: Callable[[dict[str, Any]], None], rehash: Callable[[dict[str, Any]], dict[str, Any]],
          kind: str, with_key: bool) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    data = rehash(data)
    if with_key:
        data = retag(data, kind)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    return data


def edit_run(path: Path, change: Callable[[dict[str, Any]], None], *, with_key: bool = False) -> dict[str, Any]:
    """Change run.json and recompute its run_id (and, `with_key`, its tag)."""
    return _edit(path, change, rehash_run, "run-record", with_key)


def edit_plan(path: Path, change: Callable[[dict[str, Any]], None], *, with_key: bool = False) -> dict[str, Any]:
    """Change plan.json and recompute its plan_hash (and, `with_key`, its tag)."""
    return _edit(path, change, rehash_plan, "remediation-plan", with_key)
