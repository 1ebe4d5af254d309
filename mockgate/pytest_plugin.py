"""The pytest plugin (entry point ``pytest11: mockgate``).

- The bundled conformance suite of an API, one item per check (``mockgate[API]::CHECK``), is
  collected only when a run asks for it: ``--mockgate-api``/``--mockgate-base-url`` on the command
  line, ``--mockgate`` (the suite the ini file configures: ``mockgate_api``,
  ``mockgate_base_url``, ``mockgate_api_keys``, ``mockgate_max_examples``), or a ``-m``
  expression that selects the ``mockgate`` marker. Its items go through collection like any
  other, so ``--co``, ``-k`` and ``-m`` count and select them; the suite runs once, on the first
  selected item's turn, with the selected checks only; an unreachable target or a refused
  credential fails that one item and skips the others.
- Fixtures for repos that test their own clients: ``mockgate_factory`` (session) starts mocks of
  any API in-process or on a free loopback port; ``mockgate_api`` names the API (override it in a
  ``conftest.py``); ``mockgate_mock`` and ``mockgate_live_mock`` hand out a mock reset for each
  test.
- ``mockgate.contracts.recorded.assert_conforms`` checks a recorded exchange against a spec.

The plugin loads in every pytest run of a repository that installed mockgate: it imports nothing
beyond pytest and the standard library until a hook or fixture needs it (tests/pytest_plugin
holds that to account).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest
from _pytest.mark.expression import Expression  # what `-m` parses; pytest exports no parser

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr  # what Item.repr_failure returns; not re-exported

    from mockgate.mockserver.handles import MockFactory, MockHandle
    from mockgate.reports.findings import Report

MARKER = "mockgate"
SUITE_ITEM = "suite"  # the item that fails when the suite itself could not judge the target


@dataclass(frozen=True)
class Settings:
    """The plugin's options and ini keys, checked once at start-up."""

    api: str | None
    api_from: str  # the option or ini key it came from, for messages
    base_url: str | None
    base_url_from: str
    keys: tuple[str, ...]
    keys_from: str
    max_examples: int
    seed: int | None
    read_only: bool
    asked: bool  # the run asks for the suite: collect its items

    @property
    def configured(self) -> bool:
        return bool(self.api and self.base_url)


@dataclass(frozen=True)
class Unusable:
    """Why the suite could not run against the target, and the item that says so."""

    what: str  # "target unreachable", "credential refused"
    message: str
    nodeid: str


SETTINGS = pytest.StashKey[Settings]()  # read_settings(config), in config.stash
_OUTCOME = pytest.StashKey["Report | Unusable"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockgate", "mockgate conformance suites")
    group.addoption(
        "--mockgate",
        action="store_true",
        help="Run the conformance suite the ini file configures (mockgate_api, mockgate_base_url).",
    )
    group.addoption("--mockgate-api", help="Run the bundled conformance suite of this API.")
    group.addoption("--mockgate-base-url", help="Where the implementation under test runs.")
    group.addoption(
        "--mockgate-api-key",
        action="append",
        default=[],
        help="Credential for the implementation (repeat for a second user).",
    )
    group.addoption("--mockgate-max-examples", type=int, help="Generated cases per operation.")
    group.addoption("--mockgate-seed", type=int, help="Make generation reproducible.")
    group.addoption("--mockgate-read-only", action="store_true", help="Only safe methods.")
    parser.addini("mockgate_api", "API whose conformance suite --mockgate runs")
    parser.addini("mockgate_base_url", "Base URL of the implementation under test")
    parser.addini(
        "mockgate_api_keys",
        "Credentials, one per line or separated by spaces",
        type="linelist",
        default=None,  # absent, unlike present and empty (refused)
    )
    parser.addini("mockgate_max_examples", "Generated cases per operation", default="25")


# After conftest.py files, which may set an option (a consumer's own mock's base URL).
@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a check of mockgate's conformance suite")
    # Raised by mockgate's dependencies (Connexion 3.3 on jsonschema 4.2x), not by the tests.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:connexion")
    config.addinivalue_line(
        "filterwarnings", "ignore:Using .httpx. with .starlette.testclient. is deprecated"
    )
    settings = config.stash[SETTINGS] = read_settings(config)
    if settings.asked:
        _check_suite(settings)


def read_settings(config: pytest.Config) -> Settings:
    """The options, else the ini keys; a malformed value is a ``pytest.UsageError`` naming it."""
    option = config.option
    ini = f" in {config.inipath}" if config.inipath else ""
    if option.mockgate_base_url:
        base_url, base_url_from = option.mockgate_base_url, "--mockgate-base-url"
    else:
        base_url, base_url_from = config.getini("mockgate_base_url") or None, "mockgate_base_url"
    if base_url is not None:
        _check_url(base_url, base_url_from + ("" if option.mockgate_base_url else ini))
    keys, keys_from = _keys(config, ini)
    if option.mockgate_max_examples is not None:
        max_examples = _positive(str(option.mockgate_max_examples), "--mockgate-max-examples")
    else:
        max_examples = _positive(
            config.getini("mockgate_max_examples"), "mockgate_max_examples" + ini
        )
    asked = bool(
        option.mockgate
        or option.mockgate_api
        or option.mockgate_base_url
        or selects_marker(option.markexpr)
    )
    return Settings(
        api=option.mockgate_api or config.getini("mockgate_api") or None,
        api_from="--mockgate-api" if option.mockgate_api else "mockgate_api" + ini,
        base_url=base_url,
        base_url_from=base_url_from,
        keys=keys,
        keys_from=keys_from,
        max_examples=max_examples,
        seed=option.mockgate_seed,
        read_only=option.mockgate_read_only,
        asked=asked,
    )


def selects_marker(markexpr: str) -> bool:
    """Whether the ``-m`` expression names the ``mockgate`` marker and selects what carries it
    (``-m mockgate`` does; ``-m "not mockgate"`` and ``-m "not slow"`` do not)."""
    if not markexpr:
        return False
    try:
        expression = Expression.compile(markexpr)
    except SyntaxError:
        return False  # pytest says what is wrong with it
    return MARKER in expression.idents() and expression.evaluate(
        lambda name, /, **kwargs: name == MARKER
    )


def _check_url(value: str, where: str) -> None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return
    hint = f" (did you mean http://{value} ?)" if "://" not in value else ""
    raise pytest.UsageError(
        f"{where} = {value!r}: expected an http:// or https:// URL with a host{hint}"
    )


def _keys(config: pytest.Config, ini: str) -> tuple[tuple[str, ...], str]:
    given: list[str] = config.option.mockgate_api_key
    if given:
        for index, key in enumerate(given, 1):
            if not key or any(c.isspace() or _control(c) for c in key):
                raise pytest.UsageError(
                    f"--mockgate-api-key #{index} is {'empty' if not key else 'malformed'}: a key "
                    "holds no spaces or control characters (repeat the option for a second key)"
                )
        return tuple(given), "--mockgate-api-key"
    lines: list[str] | None = config.getini("mockgate_api_keys")
    if lines is None:
        return (), ""
    where = "mockgate_api_keys" + ini
    keys = tuple(key for line in lines for key in line.split())
    if not keys:
        raise pytest.UsageError(
            f"{where} is empty: give one key per line (or several separated by spaces), "
            "or remove it"
        )
    for index, key in enumerate(keys, 1):
        bad = next((c for c in key if _control(c)), None)
        if bad is not None:
            # The key itself is a secret: say which one and what is wrong, not what it is.
            raise pytest.UsageError(
                f"{where}: key {index} holds a control character (U+{ord(bad):04X})"
            )
    return keys, where


def _control(char: str) -> bool:
    return ord(char) < 32 or ord(char) == 127


def _positive(value: str, where: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise pytest.UsageError(f"{where} = {value!r}: expected a whole number of at least 1")
    return number


def _check_suite(settings: Settings) -> None:
    if not settings.api:
        raise pytest.UsageError(
            "the conformance suite needs an API: set mockgate_api in the ini file or pass "
            "--mockgate-api"
        )
    if not settings.base_url:
        raise pytest.UsageError(
            f"the conformance suite of {settings.api} needs the implementation's URL: set "
            "mockgate_base_url in the ini file or pass --mockgate-base-url"
        )
    from mockgate.openapi.catalog import bundled_apis

    if settings.api not in bundled_apis():
        raise pytest.UsageError(
            f"{settings.api_from} = {settings.api!r}: the bundled APIs are "
            f"{', '.join(bundled_apis())}"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS]
    if settings.configured and not settings.asked:
        return [
            f"mockgate: conformance suite for {settings.api} at {settings.base_url} configured; "
            "run it with --mockgate or -m mockgate"
        ]
    dist = getattr(config.option, "dist", "no")  # pytest-xdist's --dist, when it is installed
    if settings.asked and dist not in _ONE_WORKER:
        return [
            f"mockgate: under --dist {dist} each worker that gets a check of the suite runs "
            "every selected check; --dist loadscope runs the suite once"
        ]
    return []


# pytest-xdist's modes that send every item of one collector (the suite, `mockgate[API]`) to one
# worker, where the suite runs once. Not loadgroup: under pytest 9.2's structured node ids the
# `@group` suffix pytest-xdist 3.8 sets on an item's id is lost, and nothing is grouped.
_ONE_WORKER = ("no", "loadscope", "loadfile")


# --- the suite's items -----------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """The suite, a child of the session beside the directories the arguments name: pytest then
    collects its items as it collects any others (``--co`` and ``-k`` count them)."""
    report = yield
    if isinstance(collector, pytest.Session) and report.passed:
        settings = collector.config.stash[SETTINGS]
        if settings.asked:
            name = f"mockgate[{settings.api}]"
            report.result.append(MockgateSuite.from_parent(collector, name=name, nodeid=name))
    return report


class MockgateSuite(pytest.Collector):
    """The conformance suite of one API: one item per check."""

    def collect(self) -> Iterable[pytest.Item]:
        from mockgate.contracts.conformance import BUILTIN_DOCS
        from mockgate.contracts.registry import checks_for

        api = self.config.stash[SETTINGS].api or ""
        for name in [SUITE_ITEM, *BUILTIN_DOCS, *(c.name for c in checks_for(api))]:
            item = MockgateCheck.from_parent(self, name=name, check=name)
            item.add_marker(MARKER)
            yield item


class MockgateCheck(pytest.Item):
    """One check of the conformance suite; the suite runs once, on the first check's turn."""

    def __init__(self, *, check: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        outcome = _outcome(self)
        if isinstance(outcome, Unusable):
            if outcome.nodeid == self.nodeid:
                raise MockgateFailure([outcome.message])
            _skip(f"{outcome.what}: see {outcome.nodeid}")
        report = outcome
        mine = f"{self.check}: "
        errors = [e for e in report.errors if e.startswith(mine)]
        if self is _carrier(self.session):
            errors = report.errors  # the suite's own errors, and every check's
        # Advisories (HTTP hygiene beyond the documents) do not fail a check.
        found = [f for f in report.failures if f.check == self.check]
        if errors or found:
            from mockgate.reports.evidence import finding_text

            # Each finding with its response and reproductions, credentials read from variables.
            raise MockgateFailure(
                [f"suite error: {e}" for e in errors]
                + [f"{f.operation}: {finding_text(f, report.secrets)}" for f in found]
            )
        skipped = next((s for s in report.skipped if s.startswith(mine)), None)
        if skipped is not None:
            _skip(skipped.removeprefix(mine))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, MockgateFailure):
            return "\n\n".join(excinfo.value.messages)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return "mockgate", 0, self.name


def _skip(reason: str) -> NoReturn:
    # Located at the item (`mockgate`), as a skip marker's skip is, not in this file.
    raise pytest.skip.Exception(reason, _use_item_location=True)


class MockgateFailure(AssertionError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def _selected(session: pytest.Session) -> list[MockgateCheck]:
    """The suite's items this run kept after ``-k``, ``-m`` and ``--deselect``."""
    return [item for item in session.items if isinstance(item, MockgateCheck)]


def _carrier(session: pytest.Session) -> MockgateCheck | None:
    """The item that reports the suite's own errors: ``suite``, else the first selected."""
    selected = _selected(session)
    return next((i for i in selected if i.check == SUITE_ITEM), selected[0] if selected else None)


def _outcome(item: MockgateCheck) -> Report | Unusable:
    stash = item.config.stash
    if _OUTCOME not in stash:
        stash[_OUTCOME] = _run_suite(item)
    return stash[_OUTCOME]


def _run_suite(first: MockgateCheck) -> Report | Unusable:
    """The suite run once with the selected checks, unless the target is unreachable or
    refuses the credential (``first`` then says so)."""
    from mockgate.contracts.conformance import ConformanceOptions
    from mockgate.contracts.runner import (
        Target,
        VerifyOptions,
        credentials_refused,
        unreachable,
        verify,
    )

    settings = first.config.stash[SETTINGS]
    assert settings.api is not None  # both held by pytest_configure when the suite is asked
    assert settings.base_url is not None
    problem = unreachable(settings.base_url)
    if problem is not None:
        return Unusable(
            "target unreachable",
            f"{problem}\nCheck that the implementation runs there and that "
            f"{settings.base_url_from} points at it.",
            first.nodeid,
        )
    given_by = settings.keys_from
    if not given_by.startswith("--"):  # the ini key: "the first key of mockgate_api_keys (...)"
        given_by = f"key of {given_by}"
    target = Target(
        settings.api,
        base_url=settings.base_url,
        credentials=settings.keys,
        credentials_given_by=given_by,
    )
    refused = credentials_refused(target)
    if refused is not None:
        given = (
            f"{len(settings.keys)} key(s) from {settings.keys_from}; the first is used"
            if settings.keys
            else "no key given (--mockgate-api-key, or mockgate_api_keys in the ini file)"
        )
        return Unusable("credential refused", f"{refused}\n({given}.)", first.nodeid)
    selected = frozenset(i.check for i in _selected(first.session)) - {SUITE_ITEM}
    options = ConformanceOptions(
        max_examples=settings.max_examples,
        seed=settings.seed,
        read_only=settings.read_only,
        include_checks=selected,
    )
    report = verify(target, VerifyOptions(options))
    if report.incomplete:
        # Ctrl-C during the suite: pytest stops as on any Ctrl-C; no check passes.
        raise KeyboardInterrupt
    return report


# --- mocks for a client's tests --------------------------------------------------------------


@pytest.fixture(scope="session")
def mockgate_factory() -> Iterator[MockFactory]:
    """Starts mocks of any bundled API for the session: ``.start(api, live=...)``; under
    pytest-xdist, one factory per worker (live mocks each on a free port)."""
    from mockgate.mockserver.handles import MockFactory

    factory = MockFactory()
    yield factory
    factory.close()


@pytest.fixture
def mockgate_api(request: pytest.FixtureRequest) -> str:
    """The API the ``mockgate_mock`` fixtures serve; override this fixture in a conftest.py."""
    api = request.config.stash[SETTINGS].api
    if not api:
        raise pytest.UsageError(
            "which API should the mock serve? override the `mockgate_api` fixture in your "
            "conftest.py (or pass --mockgate-api)"
        )
    return api


@pytest.fixture
def mockgate_mock(mockgate_factory: MockFactory, mockgate_api: str) -> MockHandle:
    """An in-process mock of ``mockgate_api``, reset to its seeded state for this test."""
    handle = mockgate_factory.start(mockgate_api)
    handle.reset()
    return handle


@pytest.fixture
def mockgate_live_mock(mockgate_factory: MockFactory, mockgate_api: str) -> MockHandle:
    """The same on a real socket (``.base_url`` is ``http://127.0.0.1:<port>``), reset."""
    handle = mockgate_factory.start(mockgate_api, live=True)
    handle.reset()
    return handle
