"""Everything one running mock holds: its spec, state, clock, journal, faults and options.

One ``MockContext`` per mock app, built by ``create_app`` and handed to every handler (bound as
its first argument) and to the middleware; there are no module globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from mockgate.apis.base import MockApi
from mockgate.core.access import allowed_host_entry
from mockgate.core.clock import Clock
from mockgate.core.faults import FaultBook
from mockgate.core.journal import Journal
from mockgate.core.store import Store
from mockgate.openapi.catalog import ApiSpec
from mockgate.openapi.routes import RouteTable
from mockgate.openapi.schemas import ResponseValidator

__all__ = ["MockContext", "MockOptions"]


@dataclass(frozen=True)
class MockOptions:
    """How one mock is built and behaves (``create_app``'s options)."""

    seed: int = 0
    dataset: str = "demo"
    api_keys: tuple[str, ...] = ()
    validate_responses: bool = False
    cors: bool = True
    cors_origins: tuple[str, ...] = ()
    access_log: bool = False
    # "off", "docs" (the documented limits) or a number of requests per minute; None = the
    # API's default. Only APIs that document rate limits use it.
    rate_limit: str | None = None
    # The named behaviour the mock starts in (``MockApi.scenarios``); None = normal.
    scenario: str | None = None
    # Host names served besides localhost, *.localhost and IP literals (``--allowed-host``):
    # ``name``, or ``.name`` for it and its subdomains (``core.access.HostPolicy``).
    allowed_hosts: tuple[str, ...] = ()
    # When set, every admin call must carry it in ``X-Mockgate-Token`` (``--admin-token``).
    admin_token: str | None = None

    def __post_init__(self) -> None:
        # Callers pass lists too; the options stay immutable.
        object.__setattr__(self, "api_keys", tuple(self.api_keys))
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        hosts = tuple(allowed_host_entry(host) for host in self.allowed_hosts)  # or ValueError
        object.__setattr__(self, "allowed_hosts", hosts)


@dataclass
class MockContext:
    spec: ApiSpec
    api: MockApi
    store: Store
    clock: Clock
    options: MockOptions
    started_at: datetime
    routes: RouteTable
    journal: Journal = field(default_factory=Journal)
    faults: FaultBook = field(default_factory=FaultBook)
    violations: list[str] = field(default_factory=list)
    # Set when responses are checked against the spec before they leave.
    validator: ResponseValidator | None = None
    # A named behaviour of the API (``MockApi.scenarios``), e.g. an old server's; None = normal.
    scenario: str | None = None
    # What else ``reset`` clears, registered by an API (e.g. its rate-limit windows).
    on_reset: list[Callable[[], None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self.options.api_keys or self.api.default_keys()

    def reset(self) -> None:
        """Back to the seeded state: data, journal, faults, scenario, what the API registered.
        The clock keeps its time."""
        self.store.reset()
        self.journal.clear()
        self.faults.clear()
        self.violations.clear()
        self.scenario = None
        for hook in self.on_reset:
            hook()
