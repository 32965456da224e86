"""`closegate demo`: the whole job on the built-in demo tenant, end to end, on this machine.

It starts the local emulator on the "demo" scenario and then runs the very commands an
administrator runs against a real tenant, in Microsoft's order, with the same configuration
mechanism (the emulator only changes URLs and trust). What no API can do in real life (cancel and
delete Microsoft 365 subscriptions, delete an MFA provider or a sign-up product, wait out 72 hours)
is done through the emulator's operator surface and labelled SIMULATED, exactly where a person
would act in the portal. It ends the way a real closure ends: sign-offs of the final run, `close`
(the gate, the API clean-up, the GO certificate), the Global Administrator's portal delete
(simulated), and the closure evidence once Entra no longer knows the tenant.

The demo tenant holds an active legal hold (and a released one): the backup keeps what Graph shows of
it before the subscriptions are cancelled, the final audit is NOT READY on that hold alone (CG-019),
and the closure goes ahead only once General Counsel records a legal sign-off of that run, as the
gate requires. The backup also keeps the BitLocker recovery keys, encrypted to an age key the demo
generates (`closegate backup --include-bitlocker-keys`).
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.rule import Rule

from closegate.errors import ClosegateError
from closegate.files import write_atomic

__all__ = ["MARKER", "register"]

MARKER = ".closegate-demo"  # marks a folder closegate demo made, so a later demo may replace it

# What an exit code means depends on the command (docs: README "Exit codes").
_AUDIT_EXITS = {0: "READY", 1: "NOT READY", 2: "could not run", 3: "CANNOT DETERMINE"}
_OTHER_EXITS = {0: "ok", 1: "refused or problems found", 2: "could not run", 3: "undecided or timed out"}


class DemoFailed(ClosegateError):
    """A step of the demo ended differently from what the demo tenant guarantees."""


class _Demo:
    def __init__(self, out: Path, console: Console) -> None:
        self.out, self.console = out, console
        self.config: Path | None = None

    def step(self, title: str) -> None:
        self.console.print(Rule(f"[bold]{title}"))

    def simulated(self, what: str) -> None:
        self.console.print(f"[yellow]SIMULATED (portal-only in real life):[/] {what}")

    def run(self, args: Sequence[str], *, expect: Sequence[int] = (0,)) -> int:
        """Run one closegate command in this process, exactly as typed at a terminal."""
        from closegate.cli import main

        # Quoted as a shell would need it, so a reader can paste the line into a terminal.
        self.console.print(f"$ closegate {shlex.join(args)}", style="cyan", markup=False, highlight=False)
        try:
            main.main(list(args), prog_name="closegate", standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        names = _AUDIT_EXITS if args[0] == "audit" else _OTHER_EXITS
        self.console.print(f"[dim]exit {code}: {names.get(code, '')}[/]")
        if code not in expect:
            raise DemoFailed(f"`closegate {args[0]}` exited {code}, expected {' or '.join(map(str, expect))}",
                             "the demo tenant did not behave as designed; please report this")
        return code


def _plan(demo: _Demo, config: str, out: Path) -> str:
    """A fresh audit and the plan made from it; returns the primary domain the operator confirms.

    The closing admin comes from the configuration ([tenant] closing_admin), as an administrator of a
    real tenant would set it once, not from a flag on every plan."""
    demo.run(["audit", "--config", config, "--out", str(out)], expect=(1,))
    demo.run(["plan", "--config", config, "--run", str(out / "run.json"), "--out", str(out)])
    return str(json.loads((out / "run.json").read_text("utf-8"))["tenant"]["primary_domain"])


# Who approves the final run, in order; the demo records as many as the configuration requires.
_APPROVERS = (("Carla Diaz", "Compliance officer"), ("Sam Okafor", "Security officer"), ("Lee Park", "CIO"))
# Who accepts the demo tenant's active legal hold (the case "Fabrikam v. Contoso" stays open).
_COUNSEL = ("Ada Lovelace", "General counsel")


def _keep_keys_encrypted(demo: _Demo, config: Path) -> Path:
    """What an administrator does once: an age key pair, its public half as [backup] recipient."""
    from closegate.backup.secrets import new_identity

    identity, recipient = new_identity()
    keys = demo.out / "keys"
    keys.mkdir(exist_ok=True)
    path = keys / "backup-identity.txt"
    # 0600 from its creation (closegate.files): the age identity decrypts the backup's BitLocker keys, so
    # it must never exist, even for a moment, readable by others.
    write_atomic(path, identity + "\n")
    text = config.read_text("utf-8")
    config.write_text(text.replace("[backup]\n", f'[backup]\nrecipient = "{recipient}"\n', 1), "utf-8")
    demo.console.print(f"[backup] recipient = {recipient} (the identity that decrypts is {path})", markup=False)
    return path


def _close(demo: _Demo, emu: Any, config: str, after: Path, domain: str) -> None:
    """Sign-offs, the final gate, the portal delete a person does, and the proof that the tenant is gone."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from closegate.config import load_settings
    from closegate.files import write_atomic

    demo.step("10. General Counsel accepts the active legal hold; the approvers sign off the run (bound to its hash)")
    required = load_settings(Path(config)).signoff_required
    if required > len(_APPROVERS):
        raise DemoFailed(f"the demo configuration requires {required} sign-offs, the demo has {len(_APPROVERS)} "
                         "approvers", "set [signoff] required to at most 3 in the demo's closegate.toml")
    keys = demo.out / "keys"
    keys.mkdir(exist_ok=True)
    run_json = str(after / "run.json")

    def new_key(name: str) -> Path:
        return write_atomic(keys / f"{name}.pem", Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    demo.run(["signoff", "--legal", "--run", run_json, "--by", _COUNSEL[0], "--role", _COUNSEL[1],
              "--sign-key", str(new_key("counsel"))])
    for n, (name, role) in enumerate(_APPROVERS[:max(required, 1)]):
        demo.run(["signoff", "--run", run_json, "--by", name, "--role", role,
                  "--sign-key", str(new_key(f"approver-{n + 1}"))])
    demo.run(["report", run_json, "--format", "html,pdf"])

    demo.step("11. Close: the gate opens, the API clean-up runs, the GO certificate is issued")
    demo.run(["close", "--config", config, "--run", run_json, "--confirm", domain,
              "--sign-key", str(keys / "approver-1.pem")])

    demo.step("12. The Global Administrator deletes the tenant in the Entra admin center")
    blockers = emu.state.deletion_blockers()
    if blockers:
        raise DemoFailed(f"Entra would refuse the delete after `closegate close`: {'; '.join(blockers)}",
                         "the final step left a deletion blocker; please report this")
    demo.simulated("Entra admin center > Identity > Overview > Manage tenants > select the tenant > Delete")
    emu.operator.delete_tenant()

    demo.step("13. Wait until Entra reports the tenant gone, and record the closure evidence")
    demo.run(["close", "--config", config, "--run", run_json, "--wait", "--poll-seconds", "1",
              "--timeout-minutes", "1"])
    evidence = json.loads((after / "closure-evidence.json").read_text("utf-8"))
    demo.console.print(f"closure evidence: tenant {evidence['tenant_id']} first seen gone "
                       f"{evidence['first_seen_gone']} ({evidence['aadsts_answer']['outcome']}), "
                       f"GO certificate {evidence['go_certificate_id'][:16]}", highlight=False)


def _clear(out: Path) -> None:
    """Empty OUT for a new demo, but only if closegate made it: never delete what a user put there."""
    if out.exists() and not out.is_dir():
        raise ClosegateError(f"{out} exists and is not a folder", "pass --out with a new folder's name")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise ClosegateError(f"{out} is not empty and is not an earlier demo's output (no {MARKER} in it); "
                                 "closegate deletes only what it made",
                                 "pass --out with a new or empty folder, e.g. --out demo-output")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / MARKER, "closegate demo output: `closegate demo --out` may replace this folder\n")


def _run_demo(out: Path, console: Console) -> None:
    from closegate.emulator import Emulator

    started = time.monotonic()
    _clear(out)
    demo = _Demo(out, console)
    with Emulator(scenario="demo", state_dir=out / "tenant") as emu:
        config = str(emu.config_path)
        op = emu.operator
        console.print(f"demo tenant {emu.state.display_name} emulated at {emu.url}")
        console.print(f"configuration: {emu.config_path}")

        demo.step("1. Who am I, and may I do this?")
        demo.run(["doctor", "--config", config], expect=(0, 2))

        demo.step("2. Audit the tenant as it is: NOT READY")
        before = out / "1-audit-before"
        demo.run(["audit", "--config", config, "--out", str(before)], expect=(1,))

        demo.step("3. Step 0: back up the directory, logs, devices, holds and BitLocker keys (encrypted), and "
                  "record where the content backup is")
        assert emu.config_path is not None, "the emulator wrote its closegate.toml when it started"
        _keep_keys_encrypted(demo, emu.config_path)
        backup_dir = str(emu.config_path.parent / "backup")
        demo.run(["backup", "--config", config, "--out", backup_dir, "--include-bitlocker-keys"])
        demo.run(["backup", "verify", backup_dir])
        demo.run(["backup", "attest", "--config", config, "--tool", "Microsoft 365 Backup (demo)",
                  "--location", "https://backup.example/contoso", "--by", "Dana Ops (IT)"])

        demo.step("4. Plan the fixes from a fresh audit")
        first = out / "2-plan"
        domain = _plan(demo, config, first)

        demo.step("5. Apply what an API can fix (the typed confirmation given with --confirm)")
        demo.run(["remediate", "--config", config, "--plan", str(first / "plan.json"), "--apply",
                  "--confirm", domain], expect=(0, 1))

        demo.step("6. The portal-only steps a person does (no API exists for them)")
        subscriptions = list(emu.state.subscriptions.values())
        for sub in subscriptions:
            if sub.status in ("Enabled", "Warning"):
                demo.simulated(f"Microsoft 365 admin center: cancel subscription {sub.commerce_subscription_id}")
                op.cancel_subscription(sub.id)
        for sub in subscriptions:
            demo.simulated(f"Microsoft 365 admin center: delete subscription {sub.commerce_subscription_id}")
            op.delete_subscription(sub.id)
        for name in list(emu.state.mfa_providers):
            demo.simulated(f"Entra admin center: delete MFA provider {name!r}")
            op.delete_mfa_provider(name)
        for name in list(emu.state.signup_products):
            demo.simulated(f"Entra admin center: delete self-service sign-up product {name!r}")
            op.delete_signup_product(name)
        demo.simulated("3 days pass: the sync turn-off completes (72 h), deleted subscriptions are "
                       "deprovisioned (72 h), the pay-as-you-go Azure subscription becomes deletable (3 days)")
        op.advance_clock(days=3, hours=1)
        for azure_id in list(emu.state.azure_subscriptions):
            demo.simulated(f"Azure portal: delete the cancelled Azure subscription {azure_id}")
            op.delete_subscription(azure_id)

        demo.step("7. Sync is off: plan again and delete the users who were synced, then empty the recycle bin")
        second = out / "3-plan-after-sync"
        _plan(demo, config, second)
        demo.run(["remediate", "--config", config, "--plan", str(second / "plan.json"), "--apply",
                  "--confirm", domain, "--purge"], expect=(0, 1))

        demo.step("8. Attest what no API can see (and what Graph no longer shows once the licences are gone)")
        after = out / "4-audit-after"
        for check_id, statement in (
            ("CG-013", "Entra admin center > Multifactor authentication > Providers lists none"),
            ("CG-014", "Entra admin center > Licenses > Self-service sign-up products lists none"),
            ("CG-015", "Microsoft 365 admin center > Billing > Bills & payments: nothing due"),
            ("CG-020", "No Litigation Hold, inactive mailbox, Standard eDiscovery hold or locked retention policy "
                       "(Exchange Online and Security & Compliance PowerShell)"),
            ("CG-022", "closegate deregistered the 3 Autopilot devices (journal 2-plan); Intune admin center > "
                       "Windows enrollment > Devices lists none"),
        ):
            demo.run(["attest", check_id, "--by", "Dana Ops (IT)", "--statement", statement, "--config", config])

        demo.step("9. Audit again: NOT READY on the active legal hold alone (CG-019, kept by the backup)")
        demo.run(["audit", "--config", config, "--out", str(after)], expect=(1,))
        record = json.loads((after / "run.json").read_text("utf-8"))
        blocking = sorted(r["check_id"] for r in record["results"]
                          if r["blocking"] and r["status"] not in ("PASS", "NOT_APPLICABLE"))
        if blocking != ["CG-019"]:
            raise DemoFailed(f"the final audit should fail on CG-019 alone, it leaves {', '.join(blocking)}",
                             "the demo tenant did not behave as designed; please report this")
        demo.run(["verify", str(after / "run.json"), "--report", str(after / "report.pdf")])

        _close(demo, emu, config, after, domain)

    elapsed = timedelta(seconds=round(time.monotonic() - started))
    demo.step(f"Done in {elapsed}")
    for path in sorted(p for p in out.rglob("*") if p.is_file() and "tenant" not in p.relative_to(out).parts[:1]):
        console.print(f"  {path}")


def register(group: click.Group) -> None:
    @group.command("demo")
    @click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
                  show_default=True, help="Folder for every artifact of the demo: a new or empty folder, or "
                  "an earlier demo's output, which is replaced.")
    def demo(out: Path) -> None:
        """Run the whole job on the built-in demo tenant (a local emulator; nothing leaves this machine).

        \b
        Example:
          closegate demo --out demo-output
        """
        console = Console()
        try:
            _run_demo(out, console)
        except ClosegateError as exc:
            click.echo(f"closegate: {exc.one_line()}", err=True)
            sys.exit(2)
