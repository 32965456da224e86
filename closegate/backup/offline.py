"""A tenant reader that answers every fact from a verified backup, so a verdict can be re-run later offline.

An auditor who must re-check a closure after the tenant is gone has only the backup taken in step 0.
`OfflineTenant` implements closegate.facts.TenantReader over that backup's files and nothing else: it
holds no Graph client, no token and no configuration of a tenant, so nothing it does can reach one.
It opens only a backup that verifies against its manifest (every file's SHA-256 and count, and the
signature when a key is given); a file that does not verify is no evidence of anything.

Each fact is answered from the files that hold it, parsed by the same code that parses Graph's live
answers (closegate.tenant_parse, closegate.tenant_parse_records). A fact the backup does not hold
(the caller, Azure subscriptions, the recycle bin, report settings, any fact added after this module)
or holds as "unavailable" raises NotInBackup naming it and why, so the check that needs it is ERROR,
never PASS. The tenant's clock is the backup's: the verdict is the tenant's as the backup saw it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from closegate import facts as f
from closegate import licences
from closegate import tenant_parse as parse
from closegate import tenant_parse_records as parse_records
from closegate.backup.jsonl import file_sha256, iter_records
from closegate.backup.manifest import MANIFEST, Manifest
from closegate.backup.recorded import recorded_cases
from closegate.backup.sources import source_named
from closegate.backup.summary import read_backup
from closegate.backup.verify import verify_backup
from closegate.errors import ClosegateError, IntegrityError, NotInBackup
from closegate.facts_records import Listing

__all__ = ["OfflineTenant", "open_offline"]

T = TypeVar("T")

# What the backup cannot hold, and why: said in the ERROR of every check that needs it.
_NEVER_BACKED_UP = {
    f.CALLER: "who was signed in is not part of a backup (no token exists offline)",
    f.AZURE_SUBSCRIPTIONS: "a backup exports the directory, not Azure Resource Manager",
    f.AZURE_VISIBILITY: "a backup exports the directory, not Azure Resource Manager",
    f.AZURE_RESOURCES: "a backup exports the directory, not Azure Resource Manager",
    f.DOMAIN_SERVICES: "a backup exports the directory, not Azure Resource Manager",
    f.BILLING_ACCOUNTS: "a backup does not export billing accounts or invoices",
    f.REPORT_SETTINGS: "a backup does not export the usage-report settings",
    f.DELETED_USERS: "a backup does not export the recycle bin",
    f.DELETED_APPLICATIONS: "a backup does not export the recycle bin",
    f.DELETED_SERVICE_PRINCIPALS: "a backup does not export the recycle bin",
}
_USAGE_FILES = {f.USAGE_MAILBOX: ("mailbox", "mailbox-usage"), f.USAGE_ONEDRIVE: ("onedrive", "onedrive-usage"),
                f.USAGE_SHAREPOINT: ("sharepoint", "sharepoint-usage")}


def open_offline(directory: Path, *, public_key: Ed25519PublicKey | None = None, key_path: Path | None = None,
                 max_age: timedelta = timedelta(days=7), closing_admin: str | None = None) -> OfflineTenant:
    """The reader of the backup in `directory`; IntegrityError (one line) unless the whole backup verifies."""
    check = verify_backup(directory, public_key)
    if check.manifest is None or not check.ok:
        first = check.problems[0] if check.problems else "it has no manifest"
        more = f" (and {len(check.problems) - 1} more problems)" if len(check.problems) > 1 else ""
        raise IntegrityError(f"the backup in {directory} does not verify: {first}{more}",
                             f"run `closegate backup verify --out {directory}` to see every problem; an offline "
                             "audit reads only a backup that verifies")
    return OfflineTenant(directory, check.manifest, file_sha256(directory / MANIFEST), max_age=max_age,
                         key_path=key_path, closing_admin=closing_admin)


class OfflineTenant:
    """Implements closegate.facts.TenantReader from a verified backup; each fact is read once (thread-safe)."""

    def __init__(self, directory: Path, manifest: Manifest, manifest_sha256: str, *,
                 max_age: timedelta = timedelta(days=7), key_path: Path | None = None,
                 closing_admin: str | None = None) -> None:
        self.directory = directory
        self.manifest = manifest
        self.manifest_sha256 = manifest_sha256
        self._max_age = max_age
        self._key_path = key_path
        self._closing_admin = closing_admin
        self._lock = threading.RLock()
        self._cache: dict[f.Fact[Any], tuple[bool, Any]] = {}
        self._readers: Mapping[f.Fact[Any], Callable[[], Any]] = {
            f.ORGANIZATION: self._organization, f.USERS: self._users, f.GROUPS: self._groups,
            f.GLOBAL_ADMINS: lambda: self._assignments("role-assignments", "active", f.GLOBAL_ADMINISTRATOR),
            f.GLOBAL_ADMIN_ELIGIBILITIES: self._eligibilities,
            f.ROLE_ASSIGNMENTS: lambda: self._assignments("role-assignments", "active", None),
            f.SUBSCRIBED_SKUS: lambda: self._each("subscribed-skus", parse.subscribed_sku),
            f.COMPANY_SUBSCRIPTIONS: lambda: self._each("company-subscriptions", parse.company_subscription),
            f.PER_USER_MFA: lambda: tuple(parse.per_user_mfa(str(r.get("userId")), r)
                                          for r in self._rows("per-user-mfa")),
            f.SECURITY_DEFAULTS: self._security_defaults,
            f.CONDITIONAL_ACCESS_POLICIES: lambda: self._each("conditional-access-policies",
                                                              parse.parse_conditional_access),
            f.REGISTRATION_DETAILS: self._registration_details,
            f.APPLICATIONS: lambda: self._each("applications", parse.application),
            f.SERVICE_PRINCIPALS: lambda: self._each("service-principals", parse.service_principal),
            f.DOMAINS: lambda: self._each("domains", parse.domain),
            **{fact: self._usage(report, name) for fact, (report, name) in _USAGE_FILES.items()},
            f.B2C_INVENTORY: self._b2c_inventory,
            f.BACKUP: lambda: read_backup(self.directory, self._max_age, self._key_path),
            f.EDISCOVERY_CASES: lambda: Listing(self._recorded().cases),
            f.RECORDED_CASES: self._recorded,
            f.RETENTION_LABELS: lambda: Listing(self._each("retention-labels", parse_records.retention_label)),
            f.RETENTION_EVENTS: lambda: self._each("retention-events", parse_records.retention_event),
            f.DEVICES: lambda: self._each("devices", parse_records.device),
            f.MANAGED_DEVICES: lambda: Listing(self._each("managed-devices", parse_records.managed_device)),
            f.AUTOPILOT_DEVICES: lambda: Listing(self._each("autopilot-devices", parse_records.autopilot_device)),
            f.BITLOCKER_KEYS: lambda: self._each("bitlocker-key-metadata", parse_records.bitlocker_key),
        }

    # -- TenantReader ---------------------------------------------------------------------------

    def now(self) -> datetime:
        # The tenant's clock when the backup started reading it (Manifest.taken): every deadline and age
        # is judged as of the moment the facts were read, not as of the day the auditor re-runs them.
        return self.manifest.taken

    def closing_admin_upn(self) -> str | None:
        return self._closing_admin

    def read(self, fact: f.Fact[T]) -> T:
        # One lock for every fact: reading local files is fast, and a fact read by itself (B2C reads the
        # organization) must not deadlock, so the lock is re-entrant.
        with self._lock:
            if fact not in self._cache:
                try:
                    self._cache[fact] = (True, self._answer(fact))
                except ClosegateError as exc:
                    self._cache[fact] = (False, exc)
            ok, value = self._cache[fact]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]  # the cache holds what the fact's reader returned

    def _answer(self, fact: f.Fact[Any]) -> Any:
        reader = self._readers.get(fact)
        if reader is None:
            why = _NEVER_BACKED_UP.get(fact, "this backup's format has no file for it")
            raise NotInBackup(f"the backup does not hold {fact.name.replace('_', ' ')} ({fact.about}): {why}",
                              "audit the live tenant for this check; an offline run cannot decide it")
        try:
            return reader()
        except NotInBackup:
            raise
        except ClosegateError as exc:
            raise NotInBackup(f"the backup's {fact.about} cannot be read: {exc.cause}",
                              "take a new backup with this version of closegate") from exc

    # -- files ----------------------------------------------------------------------------------

    def _rows(self, name: str) -> Iterator[dict[str, Any]]:
        entry = self.manifest.entry(name)
        if entry is None:
            raise NotInBackup(f"the backup has no {name} file", "take a new backup with this version of closegate")
        if entry.unavailable:
            raise NotInBackup(f"the backup has no {name}: when it was taken, the tenant answered: {entry.unavailable}",
                              "audit the live tenant for this check, or take a backup with the permission granted")
        return iter_records(self.directory / source_named(name).file)

    def _each(self, name: str, parser: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
        return tuple(parser(row) for row in self._rows(name))

    def _usage(self, report: str, name: str) -> Callable[[], tuple[f.UsageRow, ...]]:
        return lambda: parse.usage_rows(report, self._rows(name))

    def _organization(self) -> f.Organization:
        rows = list(self._rows("organization"))
        if len(rows) != 1:
            raise NotInBackup(f"the backup's organization file holds {len(rows)} objects instead of 1",
                              "take a new backup")
        return parse.organization(rows[0])

    def _users(self) -> tuple[f.User, ...]:
        return self._each("users", parse.user)

    def _groups(self) -> tuple[f.Group, ...]:
        members = self._members()
        return tuple(parse.group(g, tuple(m["id"] for m in members.get(str(g.get("id")), ()))
                                 if g.get("isAssignableToRole") else ())
                     for g in self._rows("groups"))

    def _members(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self._rows("group-members"):
            grouped[str(row.get("groupId"))].append(row)
        return grouped

    def _directory_objects(self) -> dict[str, dict[str, Any]]:
        """Every user, group and service principal by id, shaped as Graph's $expand=principal returns them."""
        found: dict[str, dict[str, Any]] = {}
        for name, odata in (("users", "user"), ("groups", "group"), ("service-principals", "servicePrincipal")):
            for row in self._rows(name):
                found[str(row.get("id"))] = {**row, "@odata.type": f"#microsoft.graph.{odata}"}
        return found

    def _assignments(self, name: str, kind: str, role_template_id: str | None) -> tuple[f.RoleAssignment, ...]:
        """Active ("role-assignments") or PIM-eligible ("role-eligibilities") holders, groups expanded, as
        the live reader's $expand=principal gives them."""
        objects = self._directory_objects()
        members = self._members()
        out: list[f.RoleAssignment] = []
        for row in self._rows(name):
            if role_template_id is not None and row.get("roleDefinitionId") != role_template_id:
                continue
            principal = objects.get(str(row.get("principalId")))
            if principal is None:
                raise NotInBackup(f"role assignment {row.get('id')} names principal {row.get('principalId')}, "
                                  "which the backup does not hold", "take a new backup")
            base = parse.role_assignment({**row, "principal": principal}, kind)
            out.append(base)
            if base.principal_type == "group":
                out.extend(parse.via_group(base, objects.get(str(m.get("id")), m))
                           for m in members.get(base.principal_id, ()))
        return tuple(out)

    def _licence_gap(self, name: str, rule: licences.LicenceRule) -> f.NotLicensed | None:
        """The licence refusal the backup recorded for `name`, as the live reader would have met it.

        The backup writes a refusal in the words closegate.licences gives it (backup.export): that text,
        and only that, is the answer "the tenant has no such licence"; any other gap stays an ERROR."""
        gap = f.NotLicensed(rule.feature, rule.licence, rule.status, rule.code, rule.meaning)
        entry = self.manifest.entry(name)
        return gap if entry is not None and entry.unavailable == f"not available: {gap.reason}" else None

    def _eligibilities(self) -> f.Eligibilities:
        gap = self._licence_gap("role-eligibilities", licences.ELIGIBILITY)
        if gap is not None:
            return f.Eligibilities((), gap)
        return f.Eligibilities(self._assignments("role-eligibilities", "eligible", f.GLOBAL_ADMINISTRATOR))

    def _registration_details(self) -> f.RegistrationDetails:
        gap = self._licence_gap("registration-details", licences.REGISTRATION_DETAILS)
        if gap is not None:
            return f.RegistrationDetails((), gap)
        return f.RegistrationDetails(self._each("registration-details", parse.registration_detail))

    def _security_defaults(self) -> f.SecurityDefaults:
        rows = list(self._rows("security-defaults"))
        if len(rows) != 1:
            raise NotInBackup(f"the backup's security-defaults file holds {len(rows)} objects instead of 1",
                              "take a new backup")
        return parse.security_defaults(rows[0])

    def _b2c_inventory(self) -> f.B2CInventory:
        # As the live reader: only a B2C directory has user flows, identity providers and policy keys, and
        # a backup exports none of them, so a B2C directory's inventory is not in it.
        if self.read(f.ORGANIZATION).tenant_type == f.B2C_TENANT_TYPE:
            raise NotInBackup("the backup holds no B2C user flows, identity providers, policy keys or custom "
                              "policies", "audit the live B2C directory for this check")
        return f.B2CInventory((), (), (), ())

    def _recorded(self) -> Any:
        cases = recorded_cases(self.directory, self.manifest.tenant_id)
        if cases is None:
            raise NotInBackup("the backup holds no verified record of eDiscovery cases",
                              "audit the live tenant for this check")
        return cases
