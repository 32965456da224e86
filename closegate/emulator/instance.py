"""`Emulator`: one running emulated tenant, wired together and served on loopback.

The seam tests, benchmarks and the demo use (docs/internals.md "The emulator's Python API"): start
it on a scenario, read its URL, CA, config and tenant id, drive it through `operator`, stop it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from closegate.emulator.app import EmulatorApp, RequestLog
from closegate.emulator.apps import AppKind, AppRegistry, build_registry
from closegate.emulator.arm import ArmService
from closegate.emulator.certs import Pki, generate_pki
from closegate.emulator.config_writer import EmulatorEndpoints, write_config
from closegate.emulator.faults import FaultInjector, FaultSpec, parse_fault_spec
from closegate.emulator.first_party import FirstPartyPopulation, populate
from closegate.emulator.graph import GraphService
from closegate.emulator.identity import IdentityPlatform
from closegate.emulator.operator import OperatorClient, OperatorSurface
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.server import EmulatorServer
from closegate.emulator.throttle import Limits
from closegate.emulator.tokens import TokenIssuer

__all__ = ["Emulator"]


class Emulator:
    """A context manager: `with Emulator(scenario="demo") as emu: ...`."""

    def __init__(self, scenario: Any = "demo", state_dir: Path | str | None = None, port: int = 0,
                 faults: str | FaultSpec | None = None, *, pki: Pki | None = None, limits: Any = None,
                 host: str = "127.0.0.1", device_code_interval: int = 1, first_party: str | None = None,
                 throttle: str | None = None) -> None:
        self.scenario = scenario
        # Absolute, so the paths written into closegate.toml (CA bundle, keys) do not depend on the cwd.
        self._state_dir = Path(state_dir).resolve() if state_dir is not None else None
        self._port = port
        self._fault_spec = faults if isinstance(faults, FaultSpec) else parse_fault_spec(faults)
        self._pki = pki
        if throttle not in (None, "realistic", "legacy"):
            raise ValueError(f"unknown throttle model {throttle!r}: use 'realistic' or 'legacy'")
        # throttle="realistic": Graph's token buckets (closegate.emulator.throttle_bucket), unless limits are given.
        self._limits = limits if limits is not None or throttle != "realistic" else Limits.realistic()
        self._host = host
        self._device_code_interval = device_code_interval
        self._first_party = first_party  # "realistic": Microsoft's own principals (closegate.emulator.first_party)
        self._owned_dir: Path | None = None
        self._server: EmulatorServer | None = None
        self._stopping = threading.Event()
        self.state: Any = None
        self.apps: AppRegistry | None = None
        self.identity: IdentityPlatform | None = None
        self.faults = FaultInjector(self._fault_spec)
        self.log = RequestLog()
        self.config_path: Path | None = None
        self._operator: OperatorClient | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        if self._state_dir is None:
            self._owned_dir = Path(tempfile.mkdtemp(prefix="closegate-emulator-"))
            self._state_dir = self._owned_dir
        self._state_dir.mkdir(parents=True, exist_ok=True)
        self._stopping.clear()
        try:
            self._serve(self._state_dir)
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, state_dir: Path) -> None:
        pki = self._pki or generate_pki(state_dir / "pki")
        self._pki = pki
        state = load_scenario(self.scenario)
        if self._first_party is not None:
            populate(state, FirstPartyPopulation.from_spec(self._first_party))
        state.eventual_delay = timedelta(seconds=self._fault_spec.eventual)
        registry = build_registry(pki)
        # The scenario's "closegate" Azure and billing roles go to the confidential client apps.
        state.azure.bind_closegate(tuple(state.service_principal_id(a.client_id) for a in registry.all()
                                         if a.kind is AppKind.CONFIDENTIAL))
        sp_oids = _ServicePrincipalsOnFirstSignIn(state, registry)
        issuer = TokenIssuer(pki, state.tenant_id, lifetime=lambda: self.faults.spec.token_lifetime)
        identity = IdentityPlatform(state, registry, issuer, sp_oids, device_interval=self._device_code_interval)
        graph = GraphService(state, self._limits if self._limits is not None else Limits())
        operator = OperatorSurface(state=state, identity=identity, faults=self.faults, log=self.log,
                                   get_limits=lambda: graph.limits,
                                   set_limits=graph.set_limits,
                                   scenario=self.scenario_name,
                                   throttle_stats=lambda: graph.throttle.stats())
        app = EmulatorApp(state=state, identity=identity, issuer=issuer, graph=graph, arm=ArmService(state),
                          operator=operator, faults=self.faults, log=self.log, stopping=self._stopping)
        server = EmulatorServer(app, cert_path=pki.server_cert_path, key_path=pki.server_key_path,
                                host=self._host, port=self._port)
        self.state, self.apps, self.identity = state, registry, identity
        server.start()
        self._server = server
        self.config_path = write_config(state_dir, EmulatorEndpoints(
            base_url=server.base_url, tenant_id=state.tenant_id, scenario=self.scenario_name,
            admin_upn=state.closing_admin_upn), registry, pki)

    def stop(self) -> None:
        self._stopping.set()  # wakes any request held by an injected latency or slow response
        if self._operator is not None:
            self._operator.close()
            self._operator = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what callers read -----------------------------------------------------------------------

    def _running(self) -> EmulatorServer:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        return self._server

    @property
    def scenario_name(self) -> str:
        return self.scenario if isinstance(self.scenario, str) else (
            "file" if isinstance(self.scenario, Path) else "builder")

    @property
    def url(self) -> str:
        return self._running().base_url

    @property
    def port(self) -> int:
        return self._running().port

    @property
    def operator_url(self) -> str:
        return f"{self.url}/_emulator"

    @property
    def pki(self) -> Pki:
        if self._pki is None:
            raise RuntimeError("the emulator has not been started")
        return self._pki

    @property
    def ca_path(self) -> Path:
        return self.pki.ca_path

    @property
    def state_dir(self) -> Path:
        if self._state_dir is None:
            raise RuntimeError("the emulator has not been started")
        return self._state_dir

    @property
    def tenant_id(self) -> str:
        self._running()
        return str(self.state.tenant_id)

    @property
    def authority(self) -> str:
        """What msal takes as `authority=`."""
        return f"{self.url}/{self.tenant_id}"

    @property
    def operator(self) -> OperatorClient:
        if self._operator is None:
            self._operator = OperatorClient(self.operator_url, self.ca_path)
        return self._operator


class _ServicePrincipalsOnFirstSignIn(dict[str, str]):
    """Client id -> service principal object id, registering the SP in the tenant on first sign-in.

    A real tenant holds only the app registrations its administrators created: usually one for
    closegate. Registering every test client up front would put three apps into every scenario that
    no real tenant has (and that Entra would count as deletion blockers), so an app appears in the
    directory the first time it signs in, as an app does once it is consented and used.
    """

    def __init__(self, state: Any, registry: AppRegistry) -> None:
        super().__init__()
        self._state, self._registry = state, registry

    def __missing__(self, client_id: str) -> str:
        app = self._registry.find(client_id)
        if app is None:
            raise KeyError(client_id)
        oid = self._state.ensure_service_principal(app.client_id, app.display_name)
        self[client_id] = oid
        return oid
