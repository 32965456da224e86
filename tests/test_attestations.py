from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from closegate.attestations import FILE_NAME, Attestation, latest_valid, load, save
from closegate.errors import ConfigError

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def test_round_trips_through_the_file(tmp_path: Path) -> None:
    items = (Attestation("CG-013", "no providers", "Dana", NOW, "screenshot", NOW + timedelta(days=7)),
             Attestation("CG-015", "paid", "Lee", NOW))
    save(tmp_path, items)
    assert load(tmp_path) == items
    assert not list(tmp_path.glob(".attestations.*"))


def test_missing_file_means_no_attestations(tmp_path: Path) -> None:
    assert load(tmp_path) == ()


def test_a_corrupt_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError):
        load(tmp_path)


def test_latest_valid_ignores_expired_future_and_other_items() -> None:
    old = Attestation("CG-013", "a", "x", NOW - timedelta(days=9), expires=NOW - timedelta(days=1))
    newer = Attestation("CG-013", "b", "y", NOW - timedelta(days=2))
    future = Attestation("CG-013", "c", "z", NOW + timedelta(days=1))
    other = Attestation("CG-014", "d", "w", NOW)
    assert latest_valid((old, newer, future, other), "CG-013", NOW) == newer
    assert latest_valid((old,), "CG-013", NOW) is None
