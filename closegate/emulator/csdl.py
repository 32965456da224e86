"""Which properties Graph's entity types have, so $select is judged the way Graph judges it.

Graph accepts `$select` of any structural property of the addressed entity type, base types
included, and answers 400 only for a name the type does not have (graph-facts §2.1; the CSDL is
S7). The emulator models a subset of each type; a selected property it does not model is returned
as its type's natural empty value (null, or [] for a collection), which is what Graph returns for
a property that has no value. On a directoryObject collection (members, owners,
transitiveMemberOf) a property of any derived type may be selected, and each item carries the
selected properties its own type has (Microsoft Graph team, "Upcoming API changes to return
limited information for inaccessible member resources", 2019: `/groups/{id}/members?$select=id,
displayName,description,...,homepage,loginUrl` returns users without `description`/`homepage`).

The tables come from Graph's metadata and live in `csdl_types` (generated: run
`python -m closegate.emulator.csdl /work/shared/graph-metadata` to regenerate it).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from closegate.emulator.csdl_types import DIRECTORY_OBJECT_TYPES, PROPERTIES

__all__ = ["DIRECTORY_OBJECT", "directory_object_properties", "empty_value", "extract", "has_property",
           "type_properties"]

DIRECTORY_OBJECT = "microsoft.graph.directoryObject"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
FILES = {"v1.0": "v1.0-Prod.csdl", "beta": "beta-USNat.csdl"}  # beta-Prod is not in the snapshot (S7)

# The entity types the emulator serves, besides every type derived from directoryObject.
SERVED = (
    "microsoft.graph.adminReportSettings", "microsoft.graph.companySubscription",
    "microsoft.graph.conditionalAccessPolicy", "microsoft.graph.domain",
    "microsoft.graph.identityProviderBase", "microsoft.graph.identitySecurityDefaultsEnforcementPolicy",
    "microsoft.graph.strongAuthenticationRequirements", "microsoft.graph.subscribedSku",
    "microsoft.graph.unifiedRoleAssignment", "microsoft.graph.unifiedRoleEligibilityScheduleInstance",
    "microsoft.graph.userRegistrationDetails",
    # records, holds, devices and logs (graph_security, graph_retention, graph_devices, graph_logs,
    # graph_sites, graph_mto)
    "microsoft.graph.bitlockerRecoveryKey", "microsoft.graph.directoryAudit", "microsoft.graph.managedDevice",
    "microsoft.graph.multiTenantOrganization", "microsoft.graph.signIn", "microsoft.graph.site",
    "microsoft.graph.windowsAutopilotDeviceIdentity",
    "microsoft.graph.security.ediscoveryCase", "microsoft.graph.security.ediscoveryCustodian",
    "microsoft.graph.security.ediscoveryHoldPolicy", "microsoft.graph.security.retentionEvent",
    "microsoft.graph.security.retentionEventType", "microsoft.graph.security.retentionLabel",
    "microsoft.graph.security.siteSource", "microsoft.graph.security.userSource",
)


def type_properties(version: str, type_name: str) -> Mapping[str, bool] | None:
    """name -> is-a-collection for every structural property of the type (base types included),
    or None when the metadata snapshot does not describe the type."""
    return PROPERTIES.get(version, {}).get(type_name)


@cache  # asked per item and per unmodelled property of every page: the answer never changes
def has_property(type_name: str, name: str) -> bool:
    """Does the type have this property in either API version's metadata?"""
    return any(name in PROPERTIES[v].get(type_name, {}) for v in PROPERTIES)


def empty_value(type_name: str, name: str) -> Any:
    """What Graph returns for a property with no value: [] for a collection, otherwise null."""
    return [] if _is_collection(type_name, name) else None


@cache
def _is_collection(type_name: str, name: str) -> bool:
    return any(PROPERTIES[v].get(type_name, {}).get(name) for v in PROPERTIES)


_UNION: dict[str, frozenset[str]] = {
    version: frozenset(name for t in types for name in PROPERTIES[version].get(t, {}))
    for version, types in DIRECTORY_OBJECT_TYPES.items()
}


def directory_object_properties(version: str) -> frozenset[str]:
    """Every property of directoryObject or a type derived from it: what a directoryObject
    collection accepts in $select."""
    return _UNION.get(version, frozenset())


# ------------------------------------------------------------------------------ generation
def _read(path: Path) -> dict[str, tuple[str | None, dict[str, bool]]]:
    types: dict[str, tuple[str | None, dict[str, bool]]] = {}
    schemas = list(ET.parse(path).getroot().iter(EDM + "Schema"))
    # A base type may be named by any schema's alias: the security schema ("self") derives from
    # "graph.entity", the microsoft.graph schema's alias.
    aliases = {s.get("Alias"): s.get("Namespace") or "" for s in schemas if s.get("Alias")}
    for schema in schemas:
        ns = schema.get("Namespace") or ""
        for el in schema:
            if el.tag not in (EDM + "EntityType", EDM + "ComplexType"):
                continue
            props = {p.get("Name") or "": (p.get("Type") or "").startswith("Collection(")
                     for p in el if p.tag == EDM + "Property"}
            base = el.get("BaseType")
            if base:
                prefix, _, rest = base.partition(".")
                base = f"{aliases[prefix]}.{rest}" if prefix in aliases else base
            types[f"{ns}.{el.get('Name')}"] = (base, props)
    return types


def _flatten(types: Mapping[str, tuple[str | None, dict[str, bool]]], name: str) -> dict[str, bool]:
    chain: list[dict[str, bool]] = []
    current: str | None = name
    while current:
        base, props = types[current]
        chain.append(props)
        current = base
    out: dict[str, bool] = {}
    for props in reversed(chain):
        out.update(props)
    return dict(sorted(out.items()))


def _is_directory_object(types: Mapping[str, tuple[str | None, dict[str, bool]]], name: str) -> bool:
    current: str | None = name
    while current:
        if current == DIRECTORY_OBJECT:
            return True
        current = types[current][0] if current in types else None
    return False


def extract(metadata_dir: Path) -> tuple[dict[str, dict[str, dict[str, bool]]], dict[str, list[str]]]:
    """The tables `csdl_types` holds, read from Graph's CSDL files in `metadata_dir`."""
    properties: dict[str, dict[str, dict[str, bool]]] = {}
    derived: dict[str, list[str]] = {}
    for version, file in FILES.items():
        types = _read(metadata_dir / file)
        directory = sorted(t for t in types if _is_directory_object(types, t))
        derived[version] = directory
        wanted = sorted({*directory, *(t for t in SERVED if t in types)})
        properties[version] = {t: _flatten(types, t) for t in wanted}
    return properties, derived


def render(metadata_dir: Path) -> str:
    """The source text of `csdl_types`."""
    properties, derived = extract(metadata_dir)
    lines = [
        '"""Structural properties of the Graph types the emulator serves, from Graph\'s CSDL (S7).',
        "",
        "Generated by `python -m closegate.emulator.csdl /work/shared/graph-metadata`; do not edit.",
        "version -> type -> property -> is-a-collection, base types folded in.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        '__all__ = ["DIRECTORY_OBJECT_TYPES", "PROPERTIES"]',
        "",
        "DIRECTORY_OBJECT_TYPES: dict[str, tuple[str, ...]] = {",
    ]
    for version, names in derived.items():
        lines.append(f"    {version!r}: (")
        lines += [f"        {n!r}," for n in names]
        lines.append("    ),")
    lines += ["}", "", "PROPERTIES: dict[str, dict[str, dict[str, bool]]] = {"]
    for version, types in properties.items():
        lines.append(f"    {version!r}: {{")
        for type_name, props in types.items():
            lines.append(f"        {type_name!r}: {{")
            lines += [f"            {name!r}: {many!r}," for name, many in props.items()]
            lines.append("        },")
        lines.append("    },")
    lines += ["}", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m closegate.emulator.csdl METADATA_DIR", file=sys.stderr)
        return 2
    target = Path(__file__).with_name("csdl_types.py")
    target.write_text(render(Path(argv[0])), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
