"""The serve and proxy logs (``mockserver.logs``): access lines that stay one line, real
timestamps, the JSON format; through the formatting rules and through requests to a mock."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from datetime import datetime
from typing import Any

import pytest

from mockgate.mockserver.logs import access_entry, configured, event_line, printable
from tests.conftest import build_app
from tests.live import serving

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"
# A request whose path, once decoded, would print a second, forged access line.
FORGED = "/api/x%0d%0a2026-01-19T12:00:00.000+00:00%20agentlens%20GET%20/api/forged%20200"


def entry(target: bytes, query: bytes = b"", method: str = "GET") -> Any:
    return access_entry("agentlens", method, target, query, 200, 1.25, "req-1")


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        pytest.param(b"/api/sessions", "/api/sessions", id="plain"),
        pytest.param(b"/api/a%0Ab", "/api/a%0Ab", id="encoded-newline-as-sent"),
        pytest.param(b"/api/a\nb\rc", "/api/a%0Ab%0Dc", id="raw-newline"),
        pytest.param(b"/api/\x1b[31mred", "/api/%1B[31mred", id="escape-sequence"),
        pytest.param(b"/api/a b\tc", "/api/a%20b%09c", id="space-and-tab"),
        pytest.param(b"/api/\x7f\x00", "/api/%7F%00", id="del-and-nul"),
        pytest.param("/api/é\u2028".encode(), "/api/%C3%A9%E2%80%A8", id="non-ascii"),
    ],
)
def test_an_access_line_is_one_line_of_printable_ascii(target, shown):
    line = entry(target).line()
    assert line == f"agentlens GET {shown} 200 1.2ms req-1"
    assert line.isascii()
    assert line.isprintable()


def test_the_method_and_query_are_escaped_as_the_path():
    line = entry(b"/api/s", b"q=a\nb c", method="GET\r\nX").line()
    assert line == "agentlens GET%0D%0AX /api/s?q=a%0Ab%20c 200 1.2ms req-1"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        pytest.param(b"api_key=als_secret&limit=2", "api_key=***&limit=2", id="api-key"),
        pytest.param(b"access%5Ftoken=abc", "access%5Ftoken=***", id="encoded-name"),
        pytest.param(b"key=sessions/1.jpg", "key=sessions/1.jpg", id="object-key-kept"),
        pytest.param(b"sessionId=s1&token", "sessionId=s1&token", id="ids-and-flags-kept"),
    ],
)
def test_credential_values_in_the_query_are_hidden(query, shown):
    assert entry(b"/api/s", query).query == shown


def test_other_messages_escape_controls_and_keep_line_breaks():
    assert printable("a\r\x1b[2Kb\u202ec\né") == "a\\x0d\\x1b[2Kb\\u202ec\né"


def record(message: str, *args: Any, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad\nworse")
        except ValueError as caught:
            exc_info = (ValueError, caught, caught.__traceback__)
    return logging.LogRecord("mockgate", logging.ERROR, __file__, 1, message, args, exc_info)


def formatted(log_format: str, rec: logging.LogRecord, capsys: pytest.CaptureFixture[str]) -> str:
    with configured("info", log_format):
        logging.getLogger().handle(rec)
    out, err = capsys.readouterr()
    assert out == ""
    return err


def test_a_text_record_starts_with_the_real_time_and_its_continuations_are_indented(capsys):
    text = formatted("text", record("%s failed", "GET /api/a\n2026-01-01 forged", exc=True), capsys)
    first, *rest = text.splitlines()
    assert re.fullmatch(rf"{STAMP} error mockgate: GET /api/a", first)
    assert rest[0] == "    2026-01-01 forged failed"
    assert all(line.startswith("    ") for line in rest)
    assert "    ValueError: bad" in rest
    stamp = datetime.fromisoformat(first.split()[0])
    assert abs(stamp.timestamp() - time.time()) < 60  # the machine's time, not a virtual clock
    assert stamp.utcoffset() is not None


def test_a_json_record_is_one_parsable_line(capsys):
    text = formatted("json", record("%s failed", "GET /api/a\n\u2028b", exc=True), capsys)
    assert text.count("\n") == 1
    assert text.isascii()
    parsed = json.loads(text)
    assert parsed["level"] == "error"
    assert parsed["logger"] == "mockgate"
    assert parsed["message"] == "GET /api/a\n\u2028b failed"
    assert "ValueError: bad\nworse" in parsed["exception"]
    assert re.fullmatch(STAMP, parsed["time"])


def test_an_event_line_carries_its_fields():
    parsed = json.loads(event_line("ready", "up", mocks=[{"api": "agentlens"}]))
    assert parsed["event"] == "ready"
    assert parsed["message"] == "up"
    assert parsed["mocks"] == [{"api": "agentlens"}]


def test_the_previous_logging_setup_is_restored():
    root, access = logging.getLogger(), logging.getLogger("mockgate.access")
    before = (root.level, list(root.handlers), access.level, access.propagate)
    with configured("debug", "json"):
        assert root.level == logging.DEBUG
    assert (root.level, list(root.handlers), access.level, access.propagate) == before


@pytest.mark.parametrize(
    ("level", "framework", "ours"),
    [
        pytest.param("info", logging.WARNING, logging.INFO, id="info"),
        pytest.param("error", logging.ERROR, logging.ERROR, id="error"),
        pytest.param("debug", logging.DEBUG, logging.DEBUG, id="debug"),
    ],
)
def test_frameworks_speak_from_warning_unless_debug(level, framework, ours):
    with configured(level):
        # "Adding spec json"; uvicorn's loggers too, left unset by ``server_config`` (the
        # slow test of tests/cli/test_serve_logs.py shows it: tests' servers set theirs).
        assert logging.getLogger("connexion.middleware.swagger_ui").getEffectiveLevel() == framework
        assert logging.getLogger("mockgate.reload").getEffectiveLevel() == ours
        assert logging.getLogger("mockgate.access").getEffectiveLevel() == logging.INFO


def test_a_forged_path_gets_one_access_line_over_http(mock_client, capsys):
    client = mock_client("agentlens", access_log=True)
    with configured():
        response = client.get(FORGED, params={"q": "a\nb"})
    out, err = capsys.readouterr()
    assert err == ""
    [line] = out.splitlines()
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(
        rf"{STAMP} agentlens GET /api/x%0d%0a2026-01-19T12:00:00.000\+00:00%20agentlens%20GET"
        rf"%20/api/forged%20200\?q=a%0Ab 404 \d+\.\dms {request_id}",
        line,
    )


def test_json_access_lines_carry_the_request_fields(mock_client, capsys):
    client = mock_client("agentlens", access_log=True)
    auth = {"Authorization": "Bearer als_mockgate_dev_key"}
    with configured(log_format="json"):
        response = client.get("/api/sessions", params={"limit": 2}, headers=auth)
        client.get(FORGED)
    first, forged = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first | {"time": "", "duration_ms": 0} == {
        "time": "",
        "level": "info",
        "logger": "mockgate.access",
        "message": first["message"],
        "api": "agentlens",
        "method": "GET",
        "path": "/api/sessions",
        "query": "limit=2",
        "status": 200,
        "duration_ms": 0,
        "request_id": response.headers["x-request-id"],
    }
    assert first["message"].startswith("agentlens GET /api/sessions?limit=2 200 ")
    assert forged["path"] == FORGED


def test_a_raw_line_break_from_the_server_is_escaped(capsys):
    """A server that hands the path over undecoded bytes and all (uvicorn refuses them, an ASGI
    host or test client may not) still gets one line."""
    app = build_app("agentlens", access_log=True)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/a\nforged",
        "raw_path": b"/api/a\nforged",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with configured():
        asyncio.run(app(scope, receive, send))
    [line] = capsys.readouterr().out.splitlines()
    assert " agentlens GET /api/a%0Aforged 404 " in line


def test_a_forged_path_over_a_real_socket_is_one_line(capsys):
    with configured(), serving(build_app("agentlens", access_log=True)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(
                f"GET {FORGED} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
            )
            while sock.recv(65536):
                pass
    out, err = capsys.readouterr()
    assert err == ""
    [line] = out.splitlines()
    assert re.fullmatch(rf"{STAMP} agentlens GET {re.escape(FORGED)} 404 .*", line)
