"""The credentials a run was given, and how every report keeps them out.

Each credential is named by an environment variable (``MOCKGATE_API_KEY``, ``MOCKGATE_API_KEY_2``
for a second one, ``MOCKGATE_X_API_KEY`` for an ``X-Api-Key`` header given with ``--header``):
a text shows the variable where the credential was (``redact``), and a reproduction reads the
variable (``shell_word``), so a command runs as pasted once the variable is set and never holds
the secret itself.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote, quote_plus

__all__ = ["CREDENTIAL_HEADERS", "Secret", "Secrets", "shell_quote"]

# Headers whose value is a credential whatever the spec says.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token"}
)
# Shorter values are not looked for: they would turn up inside unrelated words.
_MIN_LENGTH = 4
_AUTH_SCHEME = re.compile(r"^(Bearer|Basic|Token|Digest|ApiKey)\s+", re.IGNORECASE)
# What double quotes keep literal: anything printable but these.
_DOUBLE_QUOTE_SAFE = re.compile(r'[^"\\$`!\x00-\x1f\x7f-\x9f]*')
_IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_]")
_PLAIN = re.compile(r"[\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff\n\t]*")


@dataclass(frozen=True)
class Secret:
    value: str
    variable: str  # the environment variable a reproduction reads it from
    source: str  # what it is, for the reader: "the first --api-key"


class Secrets:
    """The credentials of one run, each with its variable."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        unique: dict[str, Secret] = {}
        for secret in secrets:
            if len(secret.value) >= _MIN_LENGTH:
                unique.setdefault(secret.value, secret)
        self.secrets = tuple(unique.values())
        # Every spelling a credential may take in a text: as given, and URL-encoded (in a query).
        forms: dict[str, Secret] = {}
        for secret in self.secrets:
            for form in (secret.value, quote(secret.value, safe=""), quote_plus(secret.value)):
                forms.setdefault(form, secret)
        self._forms = forms
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
            if forms
            else None
        )

    @classmethod
    def of(
        cls,
        credentials: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        credential_headers: Iterable[str] = (),
        credentials_given_by: str = "--api-key",
    ) -> Secrets:
        """The secrets of a run given ``credentials`` (``--api-key``, in order) and ``headers``
        (``--header``), of which those named in ``CREDENTIAL_HEADERS`` or
        ``credential_headers`` (the spec's API-key headers) carry credentials.
        ``credentials_given_by`` names where a reader gave the credentials ("the first
        --api-key")."""
        found = [
            Secret(
                value,
                "MOCKGATE_API_KEY" + (f"_{n}" if n > 1 else ""),
                f"{_nth(n)} {credentials_given_by}",
            )
            for n, value in enumerate(credentials, 1)
        ]
        secret_names = CREDENTIAL_HEADERS | {h.lower() for h in credential_headers}
        for name, value in (headers or {}).items():
            if name.lower() in secret_names:
                found += _header_secrets(name, value)
        return cls(found)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def __iter__(self) -> Iterator[Secret]:
        return iter(self.secrets)

    def redact(self, text: str) -> str:
        """``text`` with every credential replaced by its variable (``$MOCKGATE_API_KEY``)."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: "$" + self._forms[m.group()].variable, text)

    def referenced_in(self, text: str) -> list[Secret]:
        """The secrets whose variable ``text`` reads (``$NAME`` or ``${NAME}``)."""
        return [
            s
            for s in self.secrets
            if re.search(rf"\$(?:{s.variable}(?![A-Za-z0-9_])|\{{{s.variable}\}})", text)
        ]

    def shell_word(self, text: str, *, latin1: bool = False) -> str:
        """``text`` as one shell word, every credential in it an expanding reference to its
        variable and everything else literal, whatever the bytes (``latin1``: characters up to
        U+00FF as one byte each, as HTTP clients send header values)."""
        pieces: list[str | Secret] = []
        at = 0
        for match in self._pattern.finditer(text) if self._pattern is not None else ():
            pieces += [text[at : match.start()], self._forms[match.group()]]
            at = match.end()
        pieces.append(text[at:])
        if len(pieces) == 1:
            return shell_quote(text, latin1=latin1)
        literals = [p for p in pieces if isinstance(p, str)]
        if all(_DOUBLE_QUOTE_SAFE.fullmatch(p) and (p.isascii() or not latin1) for p in literals):
            # The readable form: "Authorization: Bearer $MOCKGATE_API_KEY".
            out = []
            for index, piece in enumerate(pieces):
                if isinstance(piece, str):
                    out.append(piece)
                    continue
                following = pieces[index + 1] if index + 1 < len(pieces) else ""
                braced = isinstance(following, str) and _IDENTIFIER_CHAR.match(following)
                out.append(f"${{{piece.variable}}}" if braced else f"${piece.variable}")
            return '"' + "".join(out) + '"'
        return "".join(
            (shell_quote(p, latin1=latin1) if p else "")
            if isinstance(p, str)
            else f'"${{{p.variable}}}"'
            for p in pieces
        )

    def describe(self, secrets: Iterable[Secret] | None = None) -> str:
        """``MOCKGATE_API_KEY to the first --api-key``, ...: what to set before pasting."""
        chosen = self.secrets if secrets is None else tuple(secrets)
        return ", ".join(f"{s.variable} to {s.source}" for s in chosen)


def shell_quote(text: str, *, latin1: bool = False) -> str:
    """One shell word holding ``text`` literally: single-quoted, or ANSI-C quoted (bash's
    ``$'...'``, bytes as escapes) when it holds control characters a pasted command must not
    carry raw - or, with ``latin1``, characters beyond ASCII, which are then one byte each."""
    if _PLAIN.fullmatch(text) and (text.isascii() or not latin1):
        return shlex.quote(text)
    out = []
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif _PLAIN.fullmatch(char) and char not in "\n\t" and (char.isascii() or not latin1):
            out.append(char)
        else:  # its bytes, whatever the reader's locale
            raw = bytes([ord(char)]) if latin1 and ord(char) < 0x100 else _utf8(char)
            out += [f"\\x{byte:02x}" for byte in raw]
    return "$'" + "".join(out) + "'"


def _utf8(char: str) -> bytes:
    return char.encode("utf-8", "surrogatepass")


def _nth(n: int) -> str:
    return {1: "the first", 2: "the second", 3: "the third"}.get(n, f"the {n}th")


def _header_secrets(name: str, value: str) -> list[Secret]:
    variable = "MOCKGATE_" + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")
    if name.lower() == "cookie":
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(value)
        except CookieError:  # a header http.cookies cannot parse: the whole value then
            return [Secret(value, variable, f"the credential in --header {name}")]
        return [
            Secret(
                morsel.value,
                f"{variable}_{re.sub(r'[^A-Z0-9]+', '_', key.upper()).strip('_')}",
                f"the {key} cookie in --header {name}",
            )
            for key, morsel in cookies.items()
        ] or [Secret(value, variable, f"the credential in --header {name}")]
    token = _AUTH_SCHEME.sub("", value.strip())
    return [Secret(token, variable, f"the credential in --header {name}")]
