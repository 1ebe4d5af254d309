"""What ``mockgate serve`` and ``mockgate proxy`` print while they run: one logging setup.

By default a served mock prints its banner and then one access line per request: the
frameworks' own chatter (uvicorn's "Started server process", Connexion's "Adding spec json")
is kept below warnings unless ``--log-level debug``. Access lines and the banner go to stdout;
warnings, errors and mockgate's own notes to stderr.

Every line starts with the real time of the machine (ISO 8601 with its UTC offset; the mock's
virtual clock is in the journal), so it can be matched with a browser's network tab. A request
cannot forge or split a line: the access line writes the request target as sent (percent-encoded)
with every byte outside printable ASCII as ``%XX``; in other messages a control character is
written ``\\xNN`` and a line break continues the record on an indented line.

``--log-format json``: one JSON object per line (ASCII, so no character a reader could take for
a line break), with ``time``, ``level``, ``logger``, ``message``; an access line adds its fields
(``api``, ``method``, ``path``, ``query``, ``status``, ``duration_ms``, ``request_id``), the
banner is an ``event: "ready"`` object.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from mockgate.core.credentials import looks_like_credential

__all__ = [
    "LOG_FORMATS",
    "AccessEntry",
    "access_entry",
    "configured",
    "event_line",
    "log_access",
    "printable",
    "wire_text",
]

LOG_FORMATS = ("text", "json")
_ACCESS = "mockgate_access"  # the LogRecord attribute an access line's entry travels in
_OUTSIDE_WIRE = re.compile(rb"[^\x21-\x7e]")
_NOT_PRINTABLE = re.compile(r"[^\n\x20-\x7e]")  # the fast test; `_escape` decides per character
_REDACTED = b"***"


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One request as its access line shows it; every text field is printable ASCII."""

    api: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    request_id: str

    def line(self) -> str:
        target = f"{self.path}?{self.query}" if self.query else self.path
        return (
            f"{self.api} {self.method} {target} {self.status} {self.duration_ms:.1f}ms "
            f"{self.request_id}"
        )

    def fields(self) -> dict[str, Any]:
        return {**asdict(self), "duration_ms": round(self.duration_ms, 3)}


def access_entry(
    api: str,
    method: str,
    target: bytes,
    query: bytes,
    status: int,
    duration_ms: float,
    request_id: str,
) -> AccessEntry:
    """The access line of a request whose path was sent as ``target`` (ASGI's ``raw_path``) with
    ``query``: as sent, bytes outside printable ASCII as ``%XX``, credential values hidden."""
    return AccessEntry(
        api=api,
        method=wire_text(method.encode("utf-8", "surrogateescape")),
        path=wire_text(target),
        query=wire_text(_without_credentials(query)) if query else "",
        status=status,
        duration_ms=duration_ms,
        request_id=wire_text(request_id.encode("utf-8", "surrogateescape")),
    )


def wire_text(raw: bytes) -> str:
    """``raw`` as printable ASCII: every other byte (controls, space, DEL, non-ASCII) as
    ``%XX``, so the text is one word on one line."""
    return _OUTSIDE_WIRE.sub(lambda m: b"%%%02X" % m[0][0], raw).decode("ascii")


def _without_credentials(query: bytes) -> bytes:
    """``query`` with the value of each parameter named like a credential (``api_key=``) hidden,
    as the journal hides it."""
    parts = query.split(b"&")
    for i, part in enumerate(parts):
        name, sep, _ = part.partition(b"=")
        if sep and _credential(name):
            parts[i] = name + b"=" + _REDACTED
    return b"&".join(parts)


@functools.lru_cache(maxsize=256)  # a few names, on every request
def _credential(name: bytes) -> bool:
    return looks_like_credential(unquote_plus(name.decode("latin-1")))


def printable(text: str) -> str:
    """``text`` with every character that is not printable written ``\\xNN`` (``\\uNNNN``
    beyond Latin-1), line breaks kept."""
    if not _NOT_PRINTABLE.search(text):
        return text
    return "".join(_escape(c) for c in text)


def _escape(char: str) -> str:
    if char == "\n" or char.isprintable():
        return char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _time(created: float) -> str:
    second = int(created)
    head, offset = _second(second)
    return f"{head}.{int((created - second) * 1000):03d}{offset}"


@functools.lru_cache(maxsize=2)
def _second(second: int) -> tuple[str, str]:
    """A second's local time and UTC offset, worked out once for all its lines."""
    text = datetime.fromtimestamp(second).astimezone().isoformat()
    return text[:19], text[19:]


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = _time(record.created)
        entry: AccessEntry | None = getattr(record, _ACCESS, None)
        if entry is not None:
            return f"{stamp} {entry.line()}"
        text = f"{record.levelname.lower()} {record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        # A continuation line starts with spaces: nothing in a message passes for a record.
        first, *rest = printable(text).split("\n")
        return f"{stamp} {first}" + "".join(
            f"\n    {line}" if line.strip() else "\n" for line in rest
        )


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: AccessEntry | None = getattr(record, _ACCESS, None)
        fields = entry.fields() if entry is not None else {}
        message = entry.line() if entry is not None else record.getMessage()
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return _json_line(record.created, record.levelname, record.name, message, fields)


def _json_line(created: float, level: str, logger: str, message: str, fields: Any) -> str:
    record = {"time": _time(created), "level": level.lower(), "logger": logger, "message": message}
    return json.dumps({**record, **fields}, ensure_ascii=True, default=str)


def event_line(event: str, message: str, **fields: Any) -> str:
    """An event of the process (``ready``, ``stopped``) as one ``--log-format json`` line."""
    return _json_line(time.time(), "info", "mockgate", message, {"event": event, **fields})


def log_access(logger: logging.Logger, entry: AccessEntry) -> None:
    """Write ``entry``'s access line (formatted by ``configured``'s handlers)."""
    logger.info("%s", entry.line(), extra={_ACCESS: entry})


class _Stream(logging.Handler):
    """Writes to ``sys.stdout`` or ``sys.stderr`` as they are when a record comes (click's test
    runner swaps them)."""

    def __init__(self, stream: str, *, access: bool, formatter: logging.Formatter) -> None:
        super().__init__()
        self.stream = stream
        self.access = access
        self.setFormatter(formatter)

    def filter(self, record: logging.LogRecord) -> bool:
        return hasattr(record, _ACCESS) == self.access and bool(super().filter(record))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = getattr(sys, self.stream)
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # as logging.StreamHandler: a log line never stops a request
            self.handleError(record)


@contextlib.contextmanager
def configured(level: str = "info", log_format: str = "text") -> Iterator[None]:
    """Logging as ``mockgate serve``/``proxy`` print it while the block runs: mockgate's loggers
    at ``level``, every other library's at warning (Connexion's docs 404s at error; all at debug
    for ``debug``), access lines always (``--no-access-log`` is the mock's own switch). The
    previous setup is restored after.
    """
    formatter = _JsonFormatter() if log_format == "json" else _TextFormatter()
    handlers = [
        _Stream("stdout", access=True, formatter=formatter),
        _Stream("stderr", access=False, formatter=formatter),
    ]
    numeric = logging.getLevelNamesMapping()[level.upper()]
    debug = numeric <= logging.DEBUG
    others = numeric if debug else max(numeric, logging.WARNING)
    levels = {
        "": others,
        "mockgate": numeric,
        "mockgate.access": logging.INFO,
        # Connexion logs a docs request it answers 404 as a warning without its path: a
        # client's miss, nothing the user must act on (its 500s stay errors).
        "connexion.middleware.exceptions": others if debug else max(others, logging.ERROR),
    }
    loggers = {name: logging.getLogger(name) for name in levels}
    saved = {name: logger.level for name, logger in loggers.items()}
    access = loggers["mockgate.access"]
    propagated = access.propagate
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    access.propagate = True
    root = loggers[""]
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        for name, logger in loggers.items():
            logger.setLevel(saved[name])
        access.propagate = propagated
