"""Everything one running mock holds: its spec, state, clock, journal, faults and options.

One ``MockContext`` per mock app, built by ``create_app`` and handed to every handler (bound as
its first argument) and to the middleware; there are no module globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockgate.apis.base import MockApi
from mockgate.core.access import allowed_host_entry, cors_origin_entry
from mockgate.core.clock import Clock
from mockgate.core.faults import FaultBook
from mockgate.core.journal import Journal
from mockgate.core.store import Snapshot, Store
from mockgate.core.stubs import StubBook
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
    # Origins that may send credentials, besides every origin reading without (``--cors-origin``;
    # ``core.cors.CorsPolicy``). The admin API answers only these.
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
        origins = tuple(cors_origin_entry(origin) for origin in self.cors_origins)  # or ValueError
        object.__setattr__(self, "cors_origins", origins)
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
    # Request-matching stubs (``/__mockgate/stubs``); a state file's own under --state-file.
    stubs: StubBook = field(default_factory=StubBook)
    violations: list[str] = field(default_factory=list)
    # Set when responses are checked against the spec before they leave.
    validator: ResponseValidator | None = None
    # A named behaviour of the API (``MockApi.scenarios``), e.g. an old server's; None = normal.
    scenario: str | None = None
    # What else ``reset`` clears, registered by an API (e.g. its rate-limit windows).
    on_reset: list[Callable[[], None]] = field(default_factory=list)
    # The dataset as seeded at an instant, when it depends on the clock (a named dataset);
    # None: a reset always restores the store's seed.
    reseed: Callable[[datetime], Snapshot] | None = None
    # ``clock.changes`` when the store's seed was made (see ``reset``).
    seeded_changes: int = 0
    # What the traffic used of the spec and what it sent that the spec refuses: a
    # ``mockgate.reports.coverage.Coverage`` set by ``create_app`` (typed loosely: the APIs'
    # layer does not import the reports'). ``reset`` keeps it: an e2e run resets between tests
    # and wants the whole run's coverage (``DELETE /__mockgate/coverage`` clears it).
    coverage: Any = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self.options.api_keys or self.api.default_keys()

    def reset(self, *, clock: bool = False) -> None:
        """Back to the seeded state: data, journal, faults, stubs, scenario, what the API
        registered.

        The clock keeps its time, unless ``clock``: it then restarts (``Clock.restart``). Data
        and clock agree afterwards: when the clock was set, advanced, frozen or re-sped since
        the data were seeded, the dataset is seeded again at the clock's instant (the same
        ids; timestamps relative to that instant), so no record is dated after now. A clock
        that only ran keeps the seeded data, which live sessions catch up from as before.
        """
        if clock:
            self.clock.restart()
        changes = self.clock.changes
        if self.reseed is not None and changes != self.seeded_changes:
            self.store.reset(self.reseed(self.clock.now()))
            self.seeded_changes = changes
        else:
            self.store.reset()
        self.journal.clear()
        self.faults.clear()
        self.stubs.clear()
        self.violations.clear()
        self.scenario = None
        for hook in self.on_reset:
            hook()
