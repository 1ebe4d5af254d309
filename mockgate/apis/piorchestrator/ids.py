"""Identifiers as PiOrchestrator makes them: UUIDv7 evidence ids, short session and correlation
ids (``sess-abc123``, ``corr-789xyz``), all drawn from a seeded ``random.Random``."""

from __future__ import annotations

import random
import uuid
from collections.abc import Container
from datetime import datetime

from mockgate.core.timestamps import to_millis

__all__ = ["short_id", "unique_short_id", "uuid7"]

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def uuid7(moment: datetime, rng: random.Random) -> str:
    """A UUIDv7 (RFC 9562) for ``moment``: 48 bits of Unix milliseconds, then random bits."""
    value = (to_millis(moment) & (1 << 48) - 1) << 80
    value |= 0x7 << 76 | rng.getrandbits(12) << 64  # version 7, rand_a
    value |= 0b10 << 62 | rng.getrandbits(62)  # variant, rand_b
    return str(uuid.UUID(int=value))


def short_id(prefix: str, rng: random.Random, length: int = 6) -> str:
    """``prefix-`` and ``length`` lowercase letters and digits, e.g. ``sess-k3x9q2``."""
    return f"{prefix}-" + "".join(rng.choice(_ALPHABET) for _ in range(length))


def unique_short_id(prefix: str, rng: random.Random, taken: Container[str]) -> str:
    """A ``short_id`` not in ``taken`` (drawing again from the same generator on a clash)."""
    while (candidate := short_id(prefix, rng)) in taken:
        pass
    return candidate
