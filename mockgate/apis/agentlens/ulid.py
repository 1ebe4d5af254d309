"""ULID-shaped identifiers: 26 Crockford base32 characters, 48 bits of milliseconds + 80 random.

AgentLens gives every event a ULID. The mock needs ids that look the same, sort by creation time
like the real ones, and are reproducible, so randomness comes from a caller-owned
``random.Random`` and never from the global one or the OS.
"""

from __future__ import annotations

import random
import re
from datetime import datetime

from mockgate.core.timestamps import to_millis

__all__ = ["ULID_PATTERN", "UlidFactory", "decode", "encode"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U.
_RANDOM_BITS = 80
_TIME_BITS = 48

ULID_PATTERN = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
"""What a ULID looks like (the first character is at most 7: 130 bits would overflow 128)."""


def encode(millis: int, randomness: int) -> str:
    """The ULID with time part ``millis`` and random part ``randomness``."""
    if not 0 <= millis < 1 << _TIME_BITS:
        raise ValueError(f"ULID time out of range: {millis}")
    if not 0 <= randomness < 1 << _RANDOM_BITS:
        raise ValueError(f"ULID randomness out of range: {randomness}")
    value = (millis << _RANDOM_BITS) | randomness
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def decode(ulid: str) -> tuple[int, int]:
    """``(millis, randomness)`` of a ULID (the inverse of ``encode``)."""
    if not ULID_PATTERN.fullmatch(ulid):
        raise ValueError(f"not a ULID: {ulid!r}")
    value = 0
    for char in ulid:
        value = (value << 5) | _ALPHABET.index(char)
    return value >> _RANDOM_BITS, value & ((1 << _RANDOM_BITS) - 1)


class UlidFactory:
    """Monotonic ULIDs: strictly increasing even when several share a millisecond.

    Called with the moment an id is minted (an ingest's ``now``, or an event's timestamp when
    seeding), like the ``ulid`` package's ``monotonicFactory``: within one millisecond the random
    part is incremented instead of redrawn, so ids keep the order they were made in.
    """

    def __init__(self, rng: random.Random, *, after: str | None = None) -> None:
        """``after``: a ULID every id minted must sort after (the last one minted before), so
        a factory made per request continues the sequence of the ones before it."""
        self._rng = rng
        self._last_millis = -1
        self._last_random = 0
        if after is not None:
            self._last_millis, self._last_random = decode(after)

    def __call__(self, moment: datetime) -> str:
        millis = max(to_millis(moment), self._last_millis)
        if millis == self._last_millis:
            # Same (or earlier) millisecond: keep ordering by bumping the last random part.
            self._last_random += 1
            if self._last_random >= 1 << _RANDOM_BITS:
                millis += 1
                self._last_random = self._rng.getrandbits(_RANDOM_BITS - 1)
        else:
            # Top bit left clear so a millisecond has room for 2**79 increments.
            self._last_random = self._rng.getrandbits(_RANDOM_BITS - 1)
        self._last_millis = millis
        return encode(millis, self._last_random)
