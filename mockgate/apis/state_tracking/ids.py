"""Identifiers the server mints: UUID v4 strings, reproducible from the mock's seed.

The real server draws them from a CSPRNG; the mock derives them from a SHA-256 of
the mock's seed, the kind of record and a per-kind sequence number kept in the store, so the
same requests against the same seed give the same ids (tests and golden files rely on it), and
an id is never minted twice in one mock, not even after a purge.
"""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["mint_uuid"]


def mint_uuid(seed: int, kind: str, number: int) -> str:
    """The ``number``-th UUID v4 of ``kind`` (``"session"``, ``"task"``) for ``seed``."""
    # A hash, not random.Random(name): seeding a Mersenne Twister costs ~10 µs per id.
    digest = hashlib.sha256(f"state-tracking:{kind}:{seed}:{number}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
