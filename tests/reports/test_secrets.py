"""Credentials kept out of every text, and read back from their variables by the shell."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.reports.secrets import Secret, Secrets, shell_quote

TOKEN = "fst_jacob_0123456789abcdef"
SECOND = "fst_mary_fedcba9876543210"

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def test_each_credential_is_named_by_a_variable_in_order() -> None:
    secrets = Secrets.of((TOKEN, SECOND), {"X-Api-Key": "key-from-header", "Accept": "x"})
    assert [(s.variable, s.source) for s in secrets] == [
        ("MOCKGATE_API_KEY", "the first --api-key"),
        ("MOCKGATE_API_KEY_2", "the second --api-key"),
        ("MOCKGATE_X_API_KEY", "the credential in --header X-Api-Key"),
    ]


def test_credentials_are_named_where_the_user_gave_them() -> None:
    # The pytest plugin's keys come from --mockgate-api-key, not the CLI's --api-key.
    secrets = Secrets.of((TOKEN, SECOND), credentials_given_by="--mockgate-api-key")
    assert [s.source for s in secrets] == [
        "the first --mockgate-api-key",
        "the second --mockgate-api-key",
    ]


@pytest.mark.parametrize(
    ("header", "value", "kept"),
    [
        pytest.param("Authorization", "Bearer tok-in-header", "tok-in-header", id="bearer"),
        pytest.param("Cookie", "a=cookie-one; b=cookie-two", "cookie-two", id="cookie"),
        pytest.param("X-Token", "spec-named-key", "spec-named-key", id="spec-api-key-header"),
    ],
)
def test_credential_headers_given_to_the_run_are_secrets(header, value, kept) -> None:
    secrets = Secrets.of((), {header: value}, credential_headers=["x-token"])
    assert kept in {s.value for s in secrets}
    assert kept not in secrets.redact(f"sent {header}: {value}")


def test_redaction_finds_the_credential_as_given_and_url_encoded() -> None:
    secrets = Secrets([Secret("a b/c+d", "MOCKGATE_API_KEY", "the first --api-key")])
    text = "token=a%20b%2Fc%2Bd or token=a+b%2Fc%2Bd or 'a b/c+d'"
    assert secrets.redact(text) == (
        "token=$MOCKGATE_API_KEY or token=$MOCKGATE_API_KEY or '$MOCKGATE_API_KEY'"
    )


def test_a_header_with_a_credential_reads_its_variable_in_double_quotes() -> None:
    secrets = Secrets.of((TOKEN,))
    assert secrets.shell_word(f"Authorization: Bearer {TOKEN}") == (
        '"Authorization: Bearer $MOCKGATE_API_KEY"'
    )
    # Followed by a name character, the reference is braced so it still ends where it should.
    assert secrets.shell_word(f"id={TOKEN}_x") == '"id=${MOCKGATE_API_KEY}_x"'
    assert secrets.shell_word("no secret here") == "'no secret here'"


def _echo(word: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", f"printf '%s' {word}"],
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "")} | env,
        check=True,
    )
    return done.stdout.decode("utf-8")  # not text=True: that would read \r as a newline


# Everything an argument can hold: any character but NUL (and no lone surrogates: a command line
# is bytes, and a fuzzed surrogate never reaches one).
_ARGUMENT_TEXT = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40
)


@needs_bash
@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(before=_ARGUMENT_TEXT, after=_ARGUMENT_TEXT, second=st.booleans())
def test_bash_reads_back_every_word_exactly(before: str, after: str, second: bool) -> None:
    """Whatever surrounds a credential (quotes, $, backticks, !, control characters), the word
    is the text again once bash has read it, the credential from its variable."""
    secrets = Secrets.of((TOKEN, SECOND))
    secret = SECOND if second else TOKEN
    text = f"{before}{secret}{after}"
    word = secrets.shell_word(text)
    assert secret not in word
    env = {"MOCKGATE_API_KEY": TOKEN, "MOCKGATE_API_KEY_2": SECOND}
    assert _echo(word, env) == text


@needs_bash
@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(text=_ARGUMENT_TEXT)
def test_shell_quote_is_literal_for_any_character(text: str) -> None:
    assert _echo(shell_quote(text), {}) == text
