"""The request journal: what the mock was asked and what it answered, newest last.

Tests assert on it ("the client sent exactly one heartbeat") and people read it when a frontend
misbehaves, so an entry keeps the request as sent, minus what must not be kept: credentials are
redacted to a recognisable prefix and bodies are cut at 64 KiB, which together with the bounded
capacity keeps a long-running mock's memory flat.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from mockgate.core.timestamps import format_timestamp

__all__ = ["BODY_LIMIT", "REDACTED_HEADERS", "Journal", "JournalEntry"]

BODY_LIMIT = 64 * 1024
"""Bytes of a request body kept; the rest is replaced by a marker saying how much there was."""

REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})

_SHOWN = 8  # at most this many characters of a secret are kept, and never more than half


@dataclass(frozen=True)
class JournalEntry:
    """One exchange. Build it with ``capture``, which redacts and truncates; the plain
    constructor takes values as they are (already clean, e.g. when copying an entry)."""

    id: int
    time: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str | None
    status: int
    duration_ms: float
    operation_id: str | None

    @classmethod
    def capture(
        cls,
        *,
        id: int,
        time: datetime | str,
        method: str,
        path: str,
        query: str | Mapping[str, Iterable[str]] | Iterable[tuple[str, str]] = "",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes | str | None = None,
        status: int,
        duration_ms: float,
        operation_id: str | None = None,
    ) -> JournalEntry:
        """An entry from a request as the server saw it, made safe to keep and show.

        ``time`` is the clock's instant (or its ``format_timestamp`` string); ``query`` the raw
        query string, ``{name: [values]}`` or ``(name, value)`` pairs; ``headers`` a mapping or
        pairs (repeated names are joined with ``", "``, as HTTP allows). Header names are
        lower-cased, credentials redacted, the body decoded as UTF-8 (undecodable bytes become
        U+FFFD) and cut at ``BODY_LIMIT`` bytes; an empty body is ``None``.
        """
        return cls(
            id=id,
            time=time if isinstance(time, str) else format_timestamp(time),
            method=method.upper(),
            path=path,
            query=_query(query),
            headers=_headers(headers),
            body=_body(body),
            status=status,
            duration_ms=duration_ms,
            operation_id=operation_id,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_ms"] = round(self.duration_ms, 3)
        return data


class Journal:
    """The last ``capacity`` entries, oldest dropped first. Thread-safe."""

    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError(f"journal capacity must be at least 1, not {capacity}")
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._entries: deque[JournalEntry | Callable[[], JournalEntry]] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def next_id(self) -> int:
        """A fresh entry id. Ids keep increasing across ``clear()``, so a client polling for
        entries newer than the last id it saw is never confused by a reset."""
        with self._lock:
            return next(self._ids)

    def record(self, entry: JournalEntry | Callable[[], JournalEntry]) -> None:
        """Keep ``entry``. A callable (e.g. a ``partial`` of ``JournalEntry.capture``) is called
        when the entry is first read: serving a request then only keeps its raw parts, and the
        redaction and decoding are paid by whoever reads the journal."""
        with self._lock:
            self._entries.append(entry)

    def entries(
        self,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        operation_id: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """The recorded entries that match every filter given, newest last; with ``limit``, only
        the newest ``limit`` of them. ``method`` is case-insensitive; ``path_prefix`` is a plain
        string prefix of the path."""
        if limit is not None and limit < 0:
            raise ValueError(f"journal limit must be 0 or more, not {limit}")
        with self._lock:
            built = [_built(entry) for entry in self._entries]
            self._entries = deque(built, maxlen=self._entries.maxlen)
            found = [
                entry
                for entry in built
                if (method is None or entry.method == method.upper())
                and (path_prefix is None or entry.path.startswith(path_prefix))
                and (operation_id is None or entry.operation_id == operation_id)
            ]
        return found if limit is None else found[len(found) - limit :]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _built(entry: JournalEntry | Callable[[], JournalEntry]) -> JournalEntry:
    return entry if isinstance(entry, JournalEntry) else entry()


def _query(
    query: str | Mapping[str, Iterable[str]] | Iterable[tuple[str, str]],
) -> dict[str, list[str]]:
    if isinstance(query, Mapping):
        return {name: list(values) for name, values in query.items()}
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return found


def _headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return {name: _redact(name, value) for name, value in joined.items()}


def _redact(name: str, value: str) -> str:
    """Enough of a credential to tell two apart (``Bearer als_…``), not enough to reuse it."""
    if name not in REDACTED_HEADERS:
        return value
    if name == "cookie":
        cookies = (part.strip().partition("=") for part in value.split(";") if part.strip())
        return "; ".join(f"{key}={_clip(val)}" if eq else _clip(key) for key, eq, val in cookies)
    scheme, space, credential = value.strip().partition(" ")
    if name != "x-api-key" and space:
        return f"{scheme} {_clip(credential.strip())}"
    return _clip(value.strip())


def _clip(secret: str) -> str:
    return secret[: min(_SHOWN, len(secret) // 2)] + "…"


def _body(body: bytes | str | None) -> str | None:
    raw = body.encode() if isinstance(body, str) else body
    if not raw:
        return None
    text = raw[:BODY_LIMIT].decode("utf-8", errors="replace")
    if len(raw) <= BODY_LIMIT:
        return text
    return f"{text}\n… [truncated: {len(raw)} bytes, the first {BODY_LIMIT} shown]"
