"""The wheel, installed in a fresh virtualenv: it carries the specs and seed data, works outside
the repository, installs nothing but the ``mockgate`` package, and its pytest plugin runs inside
a consumer project that has top-level packages of its own named ``contracts`` and ``mockserver``
(the names mockgate's own packages had before they moved under ``mockgate``)."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from dataclasses import dataclass
from importlib.metadata import distribution
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
# The subprocesses get no PYTHONPATH, HOME, ... of this run: only what a user's shell would need.
ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}


@dataclass(frozen=True)
class Installed:
    wheel: Path
    site: Path  # the fresh venv's site-packages, where the wheel went
    bin: Path
    python: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The wheel built from this checkout and installed in a fresh venv, once for the module."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, REPO],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("mockgate-*.whl")

    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    bin_dir = env_dir / "bin"
    python = bin_dir / "python"
    # Reuse this environment's dependencies instead of downloading them again: a path line in a
    # .pth file puts them on sys.path after the venv's own site-packages (their .pth files, such as
    # an editable install of this repository, are not processed).
    site = next((env_dir / "lib").glob("python*/site-packages"))
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # This environment's pip installs into the venv (no ensurepip: that takes seconds).
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "-q", wheel],
        check=True,
        capture_output=True,
    )
    # pytest comes through the .pth line, so its console script is not in the venv: write it as
    # pip writes it for a user who installed pytest there.
    script = distribution("pytest").entry_points.select(group="console_scripts")["pytest"]
    module, _, attr = script.value.partition(":")
    pytest_script = bin_dir / "pytest"
    pytest_script.write_text(
        f"#!{python}\nimport sys\nfrom {module} import {attr}\nsys.exit({attr}())\n"
    )
    pytest_script.chmod(0o755)
    return Installed(wheel, site, bin_dir, python)


def test_the_wheel_installs_only_the_mockgate_package(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    (info,) = [top for top in tops if top.endswith(".dist-info")]
    assert tops == {"mockgate", info}
    assert (installed.site / "mockgate" / "pytest_plugin.py").is_file()


def test_installed_wheel_lists_the_bundled_specs(installed, tmp_path):
    bin_dir = installed.bin

    def run(*args: str) -> str:
        done = subprocess.run(
            args, cwd=tmp_path, check=True, capture_output=True, text=True, env=ENV
        )
        return done.stdout

    where = run(
        str(bin_dir / "python"),
        "-c",
        "from mockgate.core.resources import specs_dir; print(specs_dir())",
    )
    assert Path(where.strip()).is_relative_to(installed.site)

    listing = run(str(bin_dir / "mockgate"), "specs", "list")
    for name in ("agentlens", "fasting", "piorchestrator", "state-tracking"):
        assert f" {name} " in listing
    shipped = run(
        str(bin_dir / "python"),
        "-c",
        "from mockgate.core.resources import fixtures_dir; print(*fixtures_dir().iterdir())",
    )
    assert "doc-examples" in shipped
    assert run(str(bin_dir / "mockgate"), "specs", "validate").count(": ok") == 4


# --- a consumer project ------------------------------------------------------------------------

# No `pythonpath` setting: the project's root is on sys.path as pytest puts it there, which makes
# the two ways of running pytest import in opposite orders. `python -m pytest` has the root first
# from the start (the plugin would import the project's `contracts` if it asked for its own by
# that name); `pytest` inserts it when it loads the root conftest.py, after the plugins (a
# `contracts` module the plugin had imported would be the one the project's tests get).
CONSUMER = {
    "pyproject.toml": """
        [project]
        name = "consumer"
        version = "1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        addopts = ["--strict-markers", "-p", "no:cacheprovider"]
        filterwarnings = ["error"]
    """,
    "contracts/__init__.py": """
        OWNER = "consumer"
    """,
    "contracts/models.py": """
        from dataclasses import dataclass


        @dataclass
        class Invoice:
            net: int
            tax: int

            @property
            def total(self):
                return self.net + self.tax
    """,
    "mockserver.py": """
        def greeting(name):
            return f"hello {name}"
    """,
    # The mock the conformance suite runs against lives in this pytest process: started when the
    # run asks for the suite without a base URL, on a free loopback port, stopped at the end.
    "conftest.py": """
        import pytest

        FACTORY = pytest.StashKey()
        HANDLE = pytest.StashKey()


        def pytest_configure(config):
            api = config.getoption("mockgate_api")
            if api and not config.getoption("mockgate_base_url"):
                from mockgate.mockserver.handles import MockFactory

                factory = config.stash[FACTORY] = MockFactory()
                handle = config.stash[HANDLE] = factory.start(api, live=True)
                config.option.mockgate_base_url = handle.base_url


        def pytest_terminal_summary(terminalreporter, config):
            if HANDLE in config.stash:
                handle = config.stash[HANDLE]
                terminalreporter.write_line(
                    f"consumer mock at {handle.base_url}: {len(handle.requests())} requests"
                )


        def pytest_unconfigure(config):
            if FACTORY in config.stash:
                config.stash[FACTORY].close()


        @pytest.fixture
        def mockgate_api():
            return "agentlens"
    """,
    "tests/test_models.py": """
        import sys
        from pathlib import Path

        import contracts
        import mockserver
        from contracts.models import Invoice

        ROOT = Path(__file__).resolve().parent.parent


        def test_the_projects_own_packages_are_imported():
            assert contracts.OWNER == "consumer"
            assert Path(contracts.__file__).resolve() == ROOT / "contracts" / "__init__.py"
            assert Path(mockserver.__file__).resolve() == ROOT / "mockserver.py"


        def test_models():
            assert Invoice(net=100, tax=20).total == 120
            assert mockserver.greeting("ada") == "hello ada"


        def test_the_plugin_serves_a_mock_beside_them(mockgate_mock):
            import mockgate

            response = mockgate_mock.client.get(
                "/api/sessions", headers={"Authorization": "Bearer als_mockgate_dev_key"}
            )
            assert response.status_code == 200
            assert mockgate_mock.requests()[-1]["path"] == "/api/sessions"
            # mockgate is the installed wheel, and loading its machinery replaced nothing
            assert Path(mockgate.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())
            assert sys.modules["contracts"] is contracts
            assert sys.modules["contracts.models"].Invoice is Invoice
            assert sys.modules["mockserver"] is mockserver
    """,
}
OWN_TESTS = 3


@pytest.fixture(scope="module")
def consumer(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("consumer")
    for name, text in CONSUMER.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


RUNNERS = {
    "pytest": lambda installed: [str(installed.bin / "pytest")],
    "python -m pytest": lambda installed: [str(installed.python), "-m", "pytest"],
}


def run_pytest(installed: Installed, runner: str, root: Path, *args: str) -> str:
    done = subprocess.run(
        [*RUNNERS[runner](installed), *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def outcomes(output: str) -> dict[str, int]:
    """The counts of pytest's last summary line (``=== 3 passed, 1 warning in 0.5s ===``)."""
    last = output.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ .* in [\d.]+s.* =+", last), output
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_consumer_project_runs_its_own_tests_with_the_plugin(installed, consumer, runner):
    output = run_pytest(installed, runner, consumer, "-v")
    version = installed.wheel.name.split("-")[1]
    assert re.search(rf"^plugins: .*\bmockgate-{re.escape(version)}\b", output, re.M), output
    assert outcomes(output) == {"passed": OWN_TESTS}, output
    assert "mockgate[" not in output


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_consumer_project_runs_the_conformance_suite_against_its_own_mock(
    installed, consumer, runner
):
    from mockgate.contracts.conformance import BUILTIN_DOCS
    from mockgate.contracts.registry import checks_for

    output = run_pytest(
        installed,
        runner,
        consumer,
        "-v",
        *("--mockgate-api", "agentlens", "--mockgate-api-key", "als_mockgate_dev_key"),
        *("--mockgate-max-examples", "2", "--mockgate-seed", "1"),
    )
    checks = 1 + len(BUILTIN_DOCS) + len(list(checks_for("agentlens")))
    assert outcomes(output) == {"passed": OWN_TESTS + checks}, output
    for check in ("suite", "response_schema_conformance"):
        assert re.search(rf"^mockgate\[agentlens\]::{check} PASSED", output, re.M), output
    # the suite's requests reached the mock the consumer's conftest.py started in the process
    served = re.search(r"^consumer mock at http://127\.0\.0\.1:\d+: (\d+) requests$", output, re.M)
    assert served, output
    assert int(served[1]) > 0
