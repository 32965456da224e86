from __future__ import annotations

from pathlib import Path

import pytest

from closegate import checks
from closegate.facts import ALL_FACTS, USERS, Fact
from closegate.models import Severity, Status, Step, passed
from closegate.registry import Catalog, catalog, check, collect, spec_of
from closegate.tenant import Tenant

CHECKS_DIR = Path(checks.__file__).parent


def test_every_check_module_on_disk_is_listed_in_the_catalog() -> None:
    on_disk = {p.stem for p in CHECKS_DIR.glob("*.py") if not p.stem.startswith("_")}
    assert on_disk == set(checks.BUILTIN_MODULES)


def test_each_builtin_module_holds_exactly_one_check_named_after_the_module() -> None:
    from closegate.registry import builtin_modules

    for module in builtin_modules():
        specs = collect([module])
        assert len(specs) == 1, module.__name__
        assert specs[0].function.__name__ == module.__name__.rsplit(".", 1)[1]
        assert module.__doc__ and module.__doc__.startswith(specs[0].id)


def test_catalog_has_the_issue_checks_ordered_by_step() -> None:
    full = catalog(plugins=False)
    assert {f"CG-{n:03d}" for n in range(1, 17)} <= set(full.ids)
    assert [s.step for s in full] == sorted(s.step for s in full)
    advisory = [s for s in full if not s.blocking]
    assert {s.id for s in advisory} >= {"CG-017"}


def test_every_check_declares_known_facts_docs_and_a_fix() -> None:
    for spec in catalog(plugins=False):
        assert set(spec.reads) <= set(ALL_FACTS), spec.id
        assert spec.doc_url.startswith("https://learn.microsoft.com/"), spec.id
        assert spec.fix and spec.why, spec.id


def test_every_declared_fact_has_one_reader_in_the_facade() -> None:
    for fact in ALL_FACTS:
        assert callable(getattr(Tenant, Tenant.reader_name(fact))), fact
    assert len({f.name for f in ALL_FACTS}) == len(ALL_FACTS)


def test_a_check_needs_the_permissions_of_the_facts_it_reads_and_its_own() -> None:
    spec = spec_of(check(id="CG-901", title="t", severity=Severity.LOW, blocking=False, step=Step.BACKUP,
                         reads=(USERS,), permissions=("graph:Reports.Read.All",), doc_url="https://x", why="w",
                         fix="f")(lambda tenant: passed("ok")))
    assert spec is not None and spec.permissions == ("graph:User.Read.All", "graph:Reports.Read.All")
    with pytest.raises(ValueError, match="Fact constants"):
        check(id="CG-902", title="t", severity=Severity.LOW, blocking=False, step=Step.BACKUP,
              reads=("users",), doc_url="https://x", why="w", fix="f")  # type: ignore[arg-type]
    unread = Fact("unread", "a fact no reader knows")
    with pytest.raises(ValueError, match="no reader"):
        Tenant.reader_name(unread)


def test_decorating_registers_nothing_and_returns_the_function() -> None:
    def probe(tenant: object) -> object:
        return passed("ok")

    marked = check(id="CG-900", title="t", severity=Severity.LOW, blocking=False, step=Step.BACKUP,
                   permissions=("graph:User.Read.All",), doc_url="https://x", why="w", fix="f")(probe)
    assert marked is probe
    assert spec_of(probe).id == "CG-900"
    assert "CG-900" not in catalog(plugins=False).ids
    assert probe(None).status is Status.PASS


@pytest.mark.parametrize("bad", [{"id": "CG-1"}, {"permissions": ("User.Read.All",)}])
def test_decorator_rejects_malformed_ids_and_permissions(bad: dict) -> None:
    args = dict(id="CG-901", title="t", severity=Severity.LOW, blocking=False, step=Step.BACKUP,
                permissions=(), doc_url="https://x", why="w", fix="f") | bad
    with pytest.raises(ValueError):
        check(**args)


def test_catalog_refuses_duplicate_ids() -> None:
    spec = catalog(plugins=False).checks[0]
    with pytest.raises(ValueError, match="share the id"):
        Catalog((spec, spec))


def test_entry_point_checks_join_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    import closegate.registry as registry

    def plugin(tenant: object) -> object:
        return passed("ok")

    check(id="ACME-001", title="plugin", severity=Severity.LOW, blocking=False, step=Step.BACKUP,
          permissions=(), doc_url="https://x", why="w", fix="f")(plugin)

    class Entry:
        name = "acme"

        def load(self) -> object:
            return plugin

    monkeypatch.setattr(registry, "entry_points", lambda group: [Entry()] if group == "closegate.checks" else [])
    assert "ACME-001" in registry.catalog().ids
