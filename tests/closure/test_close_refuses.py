"""`closegate close` keeps the gate shut for every missing condition, says which, and changes nothing.

Each case starts from the same READY tenant and takes one condition away. The emulator's request log
proves that nothing but reads reached the tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from closegate.closure.signoffs import append_signoff, make_signoff
from closegate.emulator import Emulator
from closegate.errors import Throttled
from closegate.facts import AZURE_SUBSCRIPTIONS
from closegate.records import read_record
from tests.closure.conftest import ReadyTenant, cli, writes


def _signed(run: Path) -> Path:
    append_signoff(run.parent, make_signoff(read_record(run), "Carla Diaz", "Compliance officer",
                                            datetime.now(timezone.utc)))
    return run


def _shut(tenant: ReadyTenant, run: Path, *extra: str, config: Path | None = None, emu: Emulator | None = None,
          input: str | None = None) -> str:  # noqa: A002
    log = (emu or tenant.emu).operator
    log.clear_request_log()
    args = ["close", "--config", str(config or tenant.config), "--run", str(run), *extra]
    if input is None and "--confirm" not in extra:
        args += ["--confirm", tenant.domain]
    result = cli(*args, input=input)
    assert result.exit_code == 1, result.output
    assert "gate SHUT" in result.output and "nothing was changed" in result.output
    assert writes(emu or tenant.emu) == []
    assert not (run.parent / "go-certificate.json").exists()
    assert not (run.parent / "closure-journal.jsonl").exists()
    return " ".join(result.output.split())


class _AzureUnreadable:
    """The tenant facade, except that Azure Resource Manager keeps throttling."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def read(self, fact: Any) -> Any:
        if fact is AZURE_SUBSCRIPTIONS:
            raise Throttled("Azure Resource Manager still answered 429 after 6 attempts", "retry in a few minutes")
        return self._inner.read(fact)


def test_close_stays_shut_without_the_required_sign_offs(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = shared_ready_tenant.audit(tmp_path)
    output = _shut(shared_ready_tenant, run)
    assert "0 of 1 required sign-offs are bound to run" in output


def test_close_stays_shut_for_a_stale_run(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    earlier = datetime.now(timezone.utc) - timedelta(minutes=20)
    run = _signed(shared_ready_tenant.audit(tmp_path, clock=lambda: earlier))
    assert "the run is stale" in _shut(shared_ready_tenant, run)


def test_close_stays_shut_for_a_partial_run(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = _signed(shared_ready_tenant.audit(tmp_path, skip=frozenset({"CG-018"})))
    output = _shut(shared_ready_tenant, run)
    assert "the run was partial (--skip CG-018)" in output


def test_close_stays_shut_when_a_check_errored(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = _signed(shared_ready_tenant.audit(tmp_path, reader=_AzureUnreadable))
    output = _shut(shared_ready_tenant, run)
    assert "CG-011 could not be decided: Azure Resource Manager still answered 429" in output


def test_close_stays_shut_for_an_unattested_item(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = _signed(shared_ready_tenant.audit(tmp_path, attest=("CG-013", "CG-014")))
    output = _shut(shared_ready_tenant, run)
    assert "CG-015 needs an attestation" in output
    assert "CG-013" not in output


def test_close_stays_shut_when_a_blocking_check_failed(emulator_factory: Callable[..., Emulator],
                                                       tmp_path: Path) -> None:
    from tests.closure.conftest import prepare, ready_builder

    emu = emulator_factory(ready_builder().user("stayer", displayName="Still Here"))
    tenant = prepare(emu)
    run = _signed(tenant.audit(tmp_path))
    assert "CG-004 failed: 1 users besides the closing administrator remain" in _shut(tenant, run)


def test_close_stays_shut_for_a_run_of_another_tenant(shared_ready_tenant: ReadyTenant,
                                                      emulator_factory: Callable[..., Emulator],
                                                      tmp_path: Path) -> None:
    other = emulator_factory("ready")
    run = _signed(shared_ready_tenant.audit(tmp_path))
    output = _shut(shared_ready_tenant, run, config=other.config_path, emu=other)
    assert f"the run is of tenant {shared_ready_tenant.emu.tenant_id}, but closegate is signed in to tenant " \
           f"{other.tenant_id}" in output


@pytest.mark.parametrize("how", ["--confirm", "prompt"])
def test_close_stays_shut_when_the_confirmation_is_wrong(shared_ready_tenant: ReadyTenant, tmp_path: Path,
                                                         how: str) -> None:
    run = _signed(shared_ready_tenant.audit(tmp_path))
    if how == "--confirm":
        output = _shut(shared_ready_tenant, run, "--confirm", "contoso.com")
    else:
        output = _shut(shared_ready_tenant, run, input="northwind.onmicrosoft.co\n")
    assert f"does not match the tenant's primary domain {shared_ready_tenant.domain}" in output


def test_close_lists_every_missing_condition_at_once(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = shared_ready_tenant.audit(tmp_path, attest=(), skip=frozenset({"CG-018"}))
    output = _shut(shared_ready_tenant, run, "--confirm", "wrong.example")
    for reason in ("partial", "CG-013 needs an attestation", "CG-014 needs an attestation",
                   "CG-015 needs an attestation", "0 of 1 required sign-offs", "does not match"):
        assert reason in output


def test_close_refuses_an_edited_run_record_with_exit_2(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = _signed(shared_ready_tenant.audit(tmp_path))
    run.write_text(run.read_text("utf-8").replace('"READY"', '"READY" ', 1).replace('"complete": true',
                                                                                   '"complete": false'), "utf-8")
    result = cli("close", "--config", str(shared_ready_tenant.config), "--run", str(run), "--confirm",
                 shared_ready_tenant.domain)
    assert result.exit_code == 2
    assert "changed after it was written" in result.output
