"""The request journal: what the mock was asked and what it answered, newest last.

Tests assert on it ("the client sent exactly one heartbeat") and people read it when a frontend
misbehaves, so an entry keeps the request as sent, minus what must not be kept: values whose
name looks like a credential (``core.credentials``) are redacted to a recognisable prefix, and
what one entry keeps is bounded (``HEAD_LIMIT``, ``VALUE_LIMIT``, ``FIELDS_LIMIT``,
``BODY_LIMIT``), refused requests' included, as is what the journal keeps in all (``capacity``
entries, ``MAX_BYTES``): a long-running mock's memory stays flat whatever it is sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote_plus

from mockgate.core.credentials import clip, looks_like_credential, words
from mockgate.core.timestamps import format_timestamp

__all__ = [
    "BODY_LIMIT",
    "FIELDS_LIMIT",
    "HEAD_LIMIT",
    "MAX_BYTES",
    "VALUE_LIMIT",
    "Journal",
    "JournalEntry",
    "raw_size",
]

HEAD_LIMIT = 16 * 1024
"""Characters of an entry's path, query and headers kept, in all."""
VALUE_LIMIT = 4 * 1024
"""Characters of one path, header value or query value kept; the rest is replaced by a marker
saying how much there was."""
FIELDS_LIMIT = 100
"""Headers, and query parameters, kept per entry; the others are counted under a ``…`` name."""
BODY_LIMIT = 64 * 1024
"""Bytes of a request body kept; the rest is replaced by a marker saying how much there was."""
MAX_BYTES = 32 * 1024 * 1024
"""Bytes the journal keeps in all (as ``JournalEntry.size`` counts them), oldest dropped first."""

ENTRY_OVERHEAD = 1024
"""What an entry costs beyond its text (objects, dicts, the pending capture), counted with it."""
FIELD_OVERHEAD = 120
"""What one header or query value costs beyond its text (a tuple, or a dict slot and a list)."""

MORE = "…"
"""The name under which the headers or query parameters not kept are counted."""

# A JSON member whose value is a string, wherever it is in a text, the last one possibly cut.
_JSON_MEMBER = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)(?:"|\\?\Z)', re.DOTALL)


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
    # The id of the stub that answered (``core.stubs``), if one did.
    stub: str | None = None

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
        stub: str | None = None,
    ) -> JournalEntry:
        """An entry from a request as the server saw it, made safe to keep and show.

        ``time`` is the clock's instant (or its ``format_timestamp`` string); ``query`` the raw
        query string, ``{name: [values]}`` or ``(name, value)`` pairs; ``headers`` a mapping or
        pairs (repeated names are joined with ``", "``, as HTTP allows). Header names are
        lower-cased; values whose name looks like a credential are redacted (headers, query
        parameters, cookies, JSON members and form fields of the body); path, query and headers
        are cut to ``HEAD_LIMIT`` in all, ``VALUE_LIMIT`` each and ``FIELDS_LIMIT`` fields;
        the body is decoded as UTF-8 (undecodable bytes become U+FFFD) and cut at
        ``BODY_LIMIT`` bytes; an empty body is ``None``.
        """
        budget = _Budget(HEAD_LIMIT)
        kept_path = budget.take(path)
        kept_query = _query(query, budget)
        kept_headers = _headers(headers, budget)
        content_type = kept_headers.get("content-type", "")
        return cls(
            id=id,
            time=time if isinstance(time, str) else format_timestamp(time),
            method=method.upper()[:VALUE_LIMIT],
            path=kept_path,
            query=kept_query,
            headers=kept_headers,
            body=_body(body, content_type),
            status=status,
            duration_ms=duration_ms,
            operation_id=operation_id,
            stub=stub,
        )

    def size(self) -> int:
        """The bytes this entry is counted for in the journal's ``MAX_BYTES``."""
        query = sum(
            len(n) + sum(len(v) + FIELD_OVERHEAD for v in vs) for n, vs in self.query.items()
        )
        headers = sum(len(n) + len(v) + FIELD_OVERHEAD for n, v in self.headers.items())
        body = len(self.body) if self.body is not None else 0
        return ENTRY_OVERHEAD + len(self.method) + len(self.path) + query + headers + body

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_ms"] = round(self.duration_ms, 3)
        return data


def raw_size(
    path: str, query: bytes, headers: Sequence[tuple[bytes, bytes]], body: bytes
) -> int | None:
    """The bytes a request's raw parts are counted for while its entry waits to be built, or
    ``None`` when they are beyond what one entry keeps: the entry is then built at once, so the
    journal never holds more of a request than an entry shows. Cheap: lengths only."""
    if len(body) > BODY_LIMIT or len(headers) > FIELDS_LIMIT:
        return None
    head = len(path) + len(query)
    for name, value in headers:
        head += len(name) + len(value)
    if head > HEAD_LIMIT:
        return None
    return ENTRY_OVERHEAD + head + len(headers) * FIELD_OVERHEAD + len(body)


Pending = Callable[[], JournalEntry]


class Journal:
    """The last ``capacity`` entries within ``max_bytes``, oldest dropped first. Thread-safe."""

    def __init__(self, capacity: int = 1000, max_bytes: int = MAX_BYTES) -> None:
        if capacity < 1:
            raise ValueError(f"journal capacity must be at least 1, not {capacity}")
        if max_bytes < 1:
            raise ValueError(f"journal max_bytes must be at least 1, not {max_bytes}")
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._entries: deque[tuple[JournalEntry | Pending, int]] = deque()
        self._bytes = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @property
    def kept_bytes(self) -> int:
        """The bytes the entries kept are counted for (at most ``max_bytes``)."""
        return self._bytes

    def next_id(self) -> int:
        """A fresh entry id. Ids keep increasing across ``clear()``, so a client polling for
        entries newer than the last id it saw is never confused by a reset."""
        with self._lock:
            return next(self._ids)

    def record(self, entry: JournalEntry | Pending, size: int | None = None) -> None:
        """Keep ``entry``. A callable (e.g. a ``partial`` of ``JournalEntry.capture``) with the
        ``size`` of the raw parts it holds (``raw_size``) is called when the entry is first
        read: serving a request then only keeps its raw parts, and the redaction and decoding are
        paid by whoever reads the journal. A callable without a size is built at once."""
        if not isinstance(entry, JournalEntry) and size is None:
            entry = entry()
        if isinstance(entry, JournalEntry):
            size = entry.size()
        assert size is not None
        with self._lock:
            self._entries.append((entry, size))
            self._bytes += size
            self._trim()

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
            if any(not isinstance(entry, JournalEntry) for entry, _ in self._entries):
                self._build()
            found = [
                entry
                for entry, _ in self._entries
                if isinstance(entry, JournalEntry)
                and (method is None or entry.method == method.upper())
                and (path_prefix is None or entry.path.startswith(path_prefix))
                and (operation_id is None or entry.operation_id == operation_id)
            ]
        return found if limit is None else found[len(found) - limit :]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _build(self) -> None:
        """Every pending entry built, and counted for what it now keeps."""
        built: deque[tuple[JournalEntry | Pending, int]] = deque()
        for entry, size in self._entries:
            if not isinstance(entry, JournalEntry):
                entry = entry()
                self._bytes += (built_size := entry.size()) - size
                size = built_size
            built.append((entry, size))
        self._entries = built
        self._trim()

    def _trim(self) -> None:
        # The newest entry always stays: one entry is far below any sensible max_bytes.
        while len(self._entries) > 1 and (
            len(self._entries) > self._capacity or self._bytes > self._max_bytes
        ):
            self._bytes -= self._entries.popleft()[1]


class _Budget:
    """What is left of an entry's ``HEAD_LIMIT``, spent value by value."""

    def __init__(self, total: int) -> None:
        self.left = total

    @property
    def spent(self) -> bool:
        return self.left <= 0

    def take(self, text: str, *, secret: str | None = None) -> str:
        """``text`` cut to what is left (and ``VALUE_LIMIT``), with a marker saying how long it
        was; ``secret``: the header or parameter name it is the credential of, to redact."""
        limit = max(0, min(VALUE_LIMIT, self.left))
        if secret is not None:
            kept = _redact(secret, text[:limit])
        elif len(text) <= limit:
            kept = text
        else:
            kept = f"{text[:limit]}… [truncated: {len(text)} characters]"
        self.left -= len(kept)
        return kept


def _query(
    query: str | Mapping[str, Iterable[str]] | Iterable[tuple[str, str]], budget: _Budget
) -> dict[str, list[str]]:
    if isinstance(query, Mapping):
        pairs: Iterable[tuple[str, str]] = (
            (name, value) for name, values in query.items() for value in values
        )
    else:
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    found: dict[str, list[str]] = {}
    left_out = 0
    for count, (name, value) in enumerate(pairs):
        if count >= FIELDS_LIMIT or budget.spent:
            left_out += 1
            continue
        secret = name if looks_like_credential(name) else None
        kept_name = budget.take(name)
        found.setdefault(kept_name, []).append(budget.take(value, secret=secret))
    if left_out:
        found[MORE] = [f"{left_out} more parameters not kept"]
    return found


def _headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]], budget: _Budget
) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    joined: dict[str, list[str]] = {}
    for name, value in pairs:
        joined.setdefault(name.lower(), []).append(value)
    kept: dict[str, str] = {}
    for count, (name, values) in enumerate(joined.items()):
        if count >= FIELDS_LIMIT or budget.spent:
            kept[MORE] = f"{len(joined) - count} more headers not kept"
            break
        secret = name if looks_like_credential(name) else None
        kept[budget.take(name)] = budget.take(", ".join(values), secret=secret)
    return kept


def _redact(name: str, value: str) -> str:
    """The credential ``value`` of the header or parameter ``name``, as a recognisable prefix:
    ``Bearer als_…``; a cookie header keeps each cookie's name."""
    if name == "cookie":
        cookies = (part.strip().partition("=") for part in value.split(";") if part.strip())
        return "; ".join(f"{key}={clip(val)}" if eq else clip(key) for key, eq, val in cookies)
    scheme, space, credential = value.strip().partition(" ")
    if words(name)[-1:] == ("authorization",) and space:
        return f"{scheme} {clip(credential.strip())}"
    return clip(value.strip())


def _body(body: bytes | str | None, content_type: str) -> str | None:
    raw = body.encode() if isinstance(body, str) else body
    if not raw:
        return None
    text = _redact_body(raw[:BODY_LIMIT].decode("utf-8", errors="replace"), content_type)
    if len(raw) <= BODY_LIMIT:
        return text
    return f"{text}\n… [truncated: {len(raw)} bytes, the first {BODY_LIMIT} shown]"


def _redact_body(text: str, content_type: str) -> str:
    """``text`` with the string value of every JSON member named like a credential clipped
    (found in the text, so a cut or invalid JSON body is redacted too and the rest stays as
    sent); a form body's fields likewise. Other bodies are kept as they are."""
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return "&".join(_form_field(field) for field in text.split("&"))
    if '"' not in text:
        return text
    return _JSON_MEMBER.sub(_json_member, text)


def _json_member(match: re.Match[str]) -> str:
    name, colon, value = match.groups()
    if not looks_like_credential(name):
        return match.group()
    try:
        decoded = json.loads(f'"{value}"')
    except ValueError:  # an escape the text cut short: judge it as it is
        decoded = value
    return f'"{name}"{colon}{json.dumps(clip(decoded), ensure_ascii=False)}'


def _form_field(field: str) -> str:
    name, eq, value = field.partition("=")
    if not eq or not looks_like_credential(unquote_plus(name)):
        return field
    return f"{name}={quote_plus(clip(unquote_plus(value))[:-1])}…"
