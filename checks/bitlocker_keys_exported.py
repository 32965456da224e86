"""CG-024: every BitLocker recovery key stored in Entra is in the backup, encrypted (advisory).

Microsoft: BitLocker recovery keys escrowed in Entra are lost with the tenant (graph-facts §12.7), and
a drive whose key is lost cannot be recovered when BitLocker asks for it. `closegate backup
--include-bitlocker-keys` reads each key (an audited read, learn: graph/api/bitlockerrecoverykey-get)
and keeps it encrypted to the age recipient in [backup] recipient (closegate.backup.secrets); this
check compares the keys Entra holds now (metadata only, never a key) with the ones the backup holds.
Advisory: a data-keeping decision, not a Microsoft blocker.
"""

from __future__ import annotations

from closegate.facts import BACKUP, BITLOCKER_KEYS, TenantReader
from closegate.models import Outcome, Severity, Step, bounded, failed, passed
from closegate.registry import check

__all__ = ["bitlocker_keys_exported"]


@check(
    id="CG-024",
    title="BitLocker recovery keys are backed up, encrypted",
    severity=Severity.MEDIUM,
    blocking=False,
    step=Step.BACKUP,
    records=True,
    reads=(BITLOCKER_KEYS, BACKUP),
    doc_url="https://learn.microsoft.com/en-us/graph/api/resources/bitlockerrecoverykey",
    why="Recovery keys stored in Entra are lost with the tenant; a drive that later asks for one cannot be unlocked.",
    fix="Set [backup] recipient to an age public key, then run `closegate backup --include-bitlocker-keys` (each key "
        "read is recorded in the directory audit log).",
)
def bitlocker_keys_exported(tenant: TenantReader) -> Outcome:
    keys = tenant.read(BITLOCKER_KEYS)
    if not keys:
        return passed("no BitLocker recovery key is stored in Entra", {"keys": 0})
    backup = tenant.read(BACKUP)
    held = backup.bitlocker_key_ids if backup is not None else frozenset()
    missing = [k for k in keys if k.id not in held]
    devices = len({k.device_id for k in keys})
    evidence: dict[str, object] = {
        "keys": len(keys), "devices": devices, "encrypted_to": backup.recipient if backup else "",
        "not_in_backup": bounded([{"key_id": k.id, "device_id": k.device_id, "created": k.created}
                                  for k in missing], 20)[0],
        "not_in_backup_count": len(missing)}
    if missing:
        where = "no backup was taken" if backup is None else "the backup does not hold them"
        return failed(f"{len(missing)} of {len(keys)} BitLocker recovery keys ({devices} devices) are stored only in "
                      f"Entra and {where}: they are lost with the tenant", evidence)
    return passed(f"all {len(keys)} BitLocker recovery keys ({devices} devices) are in the backup, encrypted to "
                  f"{backup.recipient if backup else ''}", evidence)
