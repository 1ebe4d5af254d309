"""Which names hold a credential: a header, a query parameter, a cookie or a JSON field.

One rule, by name only (a value is never guessed at): the name is split into words (camelCase,
``-``, ``_``, ``.``, spaces) and looks like a credential when one of its words is a credential
word (``X-Auth-Token``, ``api_key``, ``clientSecret``, ``password_confirmation``), or ends with
one (``accesstoken``, ``apikey``). Names that identify or count rather than hold are kept: the
journal's users assert on ``sessionId`` and ``X-Session-Id``; ``NOT_CREDENTIALS`` lists them.
"""

from __future__ import annotations

import re

__all__ = ["CREDENTIAL_WORDS", "NOT_CREDENTIALS", "clip", "looks_like_credential", "words"]

CREDENTIAL_WORDS = frozenset(
    {
        "token",
        "key",
        "apikey",
        "secret",
        "secrets",
        "auth",
        "authorization",
        "authentication",
        "cookie",
        "cookies",
        "session",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "credential",
        "credentials",
        "signature",
        "sig",
    }
)
"""Words that make a name a credential's. Plurals only where they hold credentials: ``tokens``
and ``sessions`` count things (agentlens' ``totalInputTokens``, ``active_sessions``)."""

# A single word ending so is a compound credential word (``accesstoken``, ``xapikey``); shorter
# words such as ``key`` are matched whole only (``monkey``, ``hotkey`` are not credentials).
_CREDENTIAL_ENDINGS = ("token", "secret", "password", "passwd", "apikey")

NOT_CREDENTIALS: tuple[tuple[str, ...], ...] = (
    ("id",),  # sessionId, session_id, X-Session-Id, keyId: identifiers, asserted on
    ("ids",),
    ("count",),  # activeSessionCount
    ("idempotency", "key"),  # Idempotency-Key: a retry's identity, not a secret
)
"""Word endings that keep a name's value whatever its other words: it names or counts a
credential-like thing rather than holding it."""

WHOLE_NAMES_KEPT = frozenset({("key",)})
"""Names kept when they are the whole name: a bare ``key`` is as often an object key
(piorchestrator's ``GET /api/v1/evidence/image?key=``) as an API key."""

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> tuple[str, ...]:
    """``name`` as lower-case words: ``X-API-Key`` → ``("x", "api", "key")``, ``sessionId`` →
    ``("session", "id")``, ``authjs.session-token`` → ``("authjs", "session", "token")``."""
    return tuple(word.lower() for word in _WORD.findall(name))


def looks_like_credential(name: str) -> bool:
    """Whether the value named ``name`` should be kept out of what is shown (see the module)."""
    split = words(name)
    if not split or split in WHOLE_NAMES_KEPT:
        return False
    if any(split[-len(ending) :] == ending for ending in NOT_CREDENTIALS):
        return False
    return any(word in CREDENTIAL_WORDS or word.endswith(_CREDENTIAL_ENDINGS) for word in split)


_SHOWN = 8  # at most this many characters of a secret are kept, and never more than half


def clip(secret: str) -> str:
    """Enough of a credential to tell two apart (``als_0123…``), not enough to reuse it."""
    return secret[: min(_SHOWN, len(secret) // 2)] + "…"
