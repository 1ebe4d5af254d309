"""The plugin's options and ini keys: read as pytest users expect, malformed values refused at
start-up with a message naming the option or key."""

from __future__ import annotations

import pytest

from mockgate.pytest_plugin import SETTINGS, selects_marker

pytest_plugins = ["pytester"]


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("k1", ("k1",)),
        ("k1 k2", ("k1", "k2")),
        ("\n    k1\n    k2  k3\n", ("k1", "k2", "k3")),
        ("k1\tk2", ("k1", "k2")),
    ],
    ids=["one", "spaces", "lines-and-spaces", "tab"],
)
def test_api_keys_are_a_line_list_split_on_whitespace_too(pytester, value, keys):
    pytester.makeini(f"[pytest]\nmockgate_api_keys = {value}\n")
    assert pytester.parseconfigure().stash[SETTINGS].keys == keys


def test_api_keys_in_pyproject_are_a_list(pytester):
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nmockgate_api_keys = ["k1", "k2 k3"]\n')
    assert pytester.parseconfigure().stash[SETTINGS].keys == ("k1", "k2", "k3")


def test_the_key_option_wins_over_the_ini_keys(pytester):
    pytester.makeini("[pytest]\nmockgate_api_keys = k1 k2\n")
    config = pytester.parseconfigure("--mockgate-api-key", "k3", "--mockgate-api-key", "k4")
    assert config.stash[SETTINGS].keys == ("k3", "k4")


def test_settings_come_from_the_ini_file(pytester):
    pytester.makeini(
        "[pytest]\nmockgate_api = fasting\nmockgate_base_url = http://localhost:8000\n"
        "mockgate_max_examples = 7\n"
    )
    settings = pytester.parseconfigure().stash[SETTINGS]
    assert (settings.api, settings.base_url, settings.max_examples) == (
        "fasting",
        "http://localhost:8000",
        7,
    )
    assert settings.configured
    assert not settings.asked


INI = "tox.ini"  # pytester's makeini
PYPROJECT = "pyproject.toml"


@pytest.mark.parametrize(
    ("config_file", "text", "args", "message"),
    [
        (INI, "mockgate_api_keys =\n", (), "mockgate_api_keys in */tox.ini is empty: *"),
        (INI, "mockgate_api_keys =\n    \n", (), "mockgate_api_keys in */tox.ini is empty: *"),
        (
            PYPROJECT,
            'mockgate_api_keys = ["good", "bad\\u0007key"]\n',
            (),
            "mockgate_api_keys in */pyproject.toml: key 2 holds a control character (U+0007)",
        ),
        (INI, "", ("--mockgate-api-key", ""), "--mockgate-api-key #1 is empty: *"),
        (INI, "", ("--mockgate-api-key", "k1 k2"), "--mockgate-api-key #1 is malformed: *"),
        (
            INI,
            "mockgate_max_examples = many\n",
            (),
            "mockgate_max_examples in */tox.ini = 'many': expected a whole number of at least 1",
        ),
        (
            INI,
            "mockgate_max_examples = 0\n",
            (),
            "mockgate_max_examples in */tox.ini = '0': expected a whole number of at least 1",
        ),
        (
            INI,
            "",
            ("--mockgate-max-examples", "0"),
            "--mockgate-max-examples = '0': expected a whole number of at least 1",
        ),
        (
            INI,
            "mockgate_base_url = localhost:3000\n",
            (),
            "mockgate_base_url in */tox.ini = 'localhost:3000': expected an http:// or https:// "
            "URL with a host (did you mean http://localhost:3000 ?)",
        ),
        (
            INI,
            "mockgate_base_url = ftp://example.org\n",
            (),
            "mockgate_base_url in */tox.ini = 'ftp://example.org': expected an http:// or "
            "https:// URL with a host",
        ),
        (
            INI,
            "",
            ("--mockgate",),
            "the conformance suite needs an API: set mockgate_api in the ini file or pass "
            "--mockgate-api",
        ),
        (
            INI,
            "mockgate_api = agentlens\n",
            ("-m", "mockgate"),
            "the conformance suite of agentlens needs the implementation's URL: set "
            "mockgate_base_url in the ini file or pass --mockgate-base-url",
        ),
        (
            INI,
            "",
            ("--mockgate-api", "nope", "--mockgate-base-url", "http://localhost:1"),
            "--mockgate-api = 'nope': the bundled APIs are agentlens, fasting, "
            "piorchestrator, state-tracking",
        ),
        (
            INI,
            "mockgate_api = nope\nmockgate_base_url = http://localhost:1\n",
            ("--mockgate",),
            "mockgate_api in */tox.ini = 'nope': the bundled APIs are *",
        ),
    ],
    ids=[
        "keys-empty",
        "keys-blank-lines",
        "key-control-character",
        "key-option-empty",
        "key-option-spaces",
        "max-examples-not-a-number",
        "max-examples-zero",
        "max-examples-option-zero",
        "base-url-without-scheme",
        "base-url-not-http",
        "suite-without-api",
        "suite-without-base-url",
        "unknown-api",
        "unknown-api-in-ini",
    ],
)
def test_a_malformed_setting_is_a_usage_error_naming_it(pytester, config_file, text, args, message):
    if config_file == INI:
        pytester.makeini("[pytest]\n" + text)
    else:
        pytester.makepyprojecttoml("[tool.pytest.ini_options]\n" + text)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "bad" not in result.stderr.str()  # a key is never shown


def test_a_configured_api_alone_names_the_fixtures_api_without_asking_for_the_suite(pytester):
    pytester.makeini("[pytest]\nmockgate_api = agentlens\n")
    pytester.makepyfile("def test_it(mockgate_api):\n    assert mockgate_api == 'agentlens'\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("expression", "selects"),
    [
        ("mockgate", True),
        ("mockgate or slow", True),
        ("not slow and mockgate", True),
        ("not mockgate", False),
        ("not slow", False),
        ("mockgate and slow", False),
        ("", False),
        ("mockgate and (", False),
    ],
    ids=["marker", "or", "and-not", "not", "unrelated-not", "and-other", "none", "malformed"],
)
def test_a_marker_expression_asks_for_the_suite_when_it_selects_its_marker(expression, selects):
    assert selects_marker(expression) is selects
