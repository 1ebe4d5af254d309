"""The pytest plugin (entry point ``pytest11: mockgate``).

- ``pytest --mockgate-api API --mockgate-base-url URL [--mockgate-api-key KEY]`` adds the bundled
  conformance suite for API against URL to the run: one test per check, failing with every
  finding of that check and a curl reproduction (ini keys ``mockgate_api``, ``mockgate_base_url``,
  ``mockgate_api_keys``, ``mockgate_max_examples``).
- Fixtures for repos that test their own clients: ``mockgate_factory`` (session) starts mocks of
  any API in-process or on a free loopback port; ``mockgate_api`` names the API (override it in a
  ``conftest.py``); ``mockgate_mock`` and ``mockgate_live_mock`` hand out a mock reset for each
  test.
- ``mockgate.contracts.recorded.assert_conforms`` checks a recorded exchange against a spec.

Imports of the heavy machinery happen inside hooks and fixtures, so loading the plugin is cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr  # what Item.repr_failure returns; not re-exported

    from mockgate.mockserver.handles import MockFactory, MockHandle
    from mockgate.reports.findings import Report

_REPORT = pytest.StashKey["Report"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockgate", "mockgate conformance suites")
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
    parser.addini("mockgate_api", "API whose conformance suite runs (see --mockgate-api)")
    parser.addini("mockgate_base_url", "Base URL of the implementation under test")
    parser.addini("mockgate_api_keys", "Credentials, one per line", type="linelist")
    parser.addini("mockgate_max_examples", "Generated cases per operation", default="25")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockgate: a check of mockgate's conformance suite")
    # Raised by mockgate's dependencies (Connexion 3.3 on jsonschema 4.2x), not by the tests.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:connexion")
    config.addinivalue_line(
        "filterwarnings", "ignore:Using .httpx. with .starlette.testclient. is deprecated"
    )


def _setting(config: pytest.Config, name: str) -> Any:
    value = config.getoption(f"mockgate_{name}")
    return value if value not in (None, []) else config.getini(f"mockgate_{name}") or None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    api = _setting(config, "api")
    if not api:
        return
    if not _setting(config, "base_url"):
        raise pytest.UsageError("--mockgate-api needs --mockgate-base-url (or mockgate_base_url)")
    from mockgate.contracts.conformance import BUILTIN_DOCS
    from mockgate.contracts.registry import checks_for
    from mockgate.openapi.catalog import bundled_apis

    if api not in bundled_apis():
        raise pytest.UsageError(
            f"--mockgate-api {api}: bundled APIs are {', '.join(bundled_apis())}"
        )
    names = ["suite", *BUILTIN_DOCS]
    names += [c.name for c in checks_for(api)]
    for name in names:
        item = MockgateCheck.from_parent(
            session, name=name, nodeid=f"mockgate[{api}]::{name}", check=name
        )
        item.add_marker("mockgate")
        items.append(item)


class MockgateCheck(pytest.Item):
    """One check of the conformance suite; the suite runs once, on the first check's turn."""

    def __init__(self, *, check: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        report = self._report()
        if self.check == "suite":
            if report.errors:
                raise MockgateFailure(["suite error: " + e for e in report.errors])
            return
        # Advisories (HTTP hygiene beyond the documents) do not fail a check.
        found = [f for f in report.failures if f.check == self.check]
        if found:
            from mockgate.reports.evidence import finding_text

            # Each with its response and reproductions, credentials read from variables.
            raise MockgateFailure(
                [f"{f.operation}: {finding_text(f, report.secrets)}" for f in found]
            )

    def _report(self) -> Report:
        stash = self.config.stash
        if _REPORT not in stash:
            from mockgate.contracts.conformance import ConformanceOptions
            from mockgate.contracts.runner import Target, VerifyOptions, verify

            config = self.config
            target = Target(
                _setting(config, "api"),
                base_url=_setting(config, "base_url"),
                credentials=tuple(
                    config.getoption("mockgate_api_key") or config.getini("mockgate_api_keys")
                ),
            )
            options = ConformanceOptions(
                max_examples=int(
                    config.getoption("mockgate_max_examples")
                    or config.getini("mockgate_max_examples")
                ),
                seed=config.getoption("mockgate_seed"),
                read_only=config.getoption("mockgate_read_only"),
            )
            report = verify(target, VerifyOptions(options))
            if report.incomplete:
                # Ctrl-C during the suite: pytest stops as on any Ctrl-C; no check passes.
                raise KeyboardInterrupt
            stash[_REPORT] = report
        return stash[_REPORT]

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, MockgateFailure):
            return "\n\n".join(excinfo.value.messages)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return "mockgate", 0, self.name


class MockgateFailure(AssertionError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@pytest.fixture(scope="session")
def mockgate_factory() -> Iterator[MockFactory]:
    """Starts mocks of any bundled API for the session: ``.start(api, live=...)``."""
    from mockgate.mockserver.handles import MockFactory

    factory = MockFactory()
    yield factory
    factory.close()


@pytest.fixture
def mockgate_api(request: pytest.FixtureRequest) -> str:
    """The API the ``mockgate_mock`` fixtures serve; override this fixture in a conftest.py."""
    api = _setting(request.config, "api")
    if not api:
        raise pytest.UsageError(
            "which API should the mock serve? override the `mockgate_api` fixture in your "
            "conftest.py (or pass --mockgate-api)"
        )
    return str(api)


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
