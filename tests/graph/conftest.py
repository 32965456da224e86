from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.graph.helpers import FakeClock
from tests.graph.stub import StubServer


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    server = StubServer(tmp_path)
    yield server
    server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
