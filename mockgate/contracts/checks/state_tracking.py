"""State-tracking checks: the error envelope, the rate-limit headers, the documented state
machine of sessions and tasks, docker slots, and the stale, active, by-project and progress
figures against the records.

Every rule comes from `specs/state-tracking.yaml` (its "Modelling choices") or the document it
models (`shared/api-docs/state-tracking.md`); each check's docstring says which, and what it
deliberately leaves alone.

The probes that write create their own sessions (on a machine and a project the server already
lists, falling back to the document's `macbook-pro-m1` and `123`), marked with
`metadata.mockgate_probe`, and purge them when they are done (also when a probe stops early).
They never touch records they did not create, except that a slot probe briefly occupies one free
docker slot of a listed machine.

Why there is no "stalled by silence" probe: a session stalls after 300 s without a heartbeat on
the server's own clock, which a probe cannot move and should not wait for. `stalled_reactivation`
instead puts a session into `stalled` through `PUT /sessions/{id}` (any status may be written;
a server that refuses is not judged) and checks that a heartbeat reactivates it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from mockgate.contracts.checks.support import parse_instant
from mockgate.contracts.registry import probe, response_check
from mockgate.contracts.session import ProbeSession, ReadOnly
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = [
    "ERROR_CODES",
    "IMMUTABLE_FIELDS",
    "error_envelope",
    "grouping_consistency",
    "rate_limit_headers",
    "session_state_machine",
    "slot_conflict",
    "stale_consistency",
    "stalled_reactivation",
    "task_lifecycle",
]

API = ("state-tracking",)

# The document's "Error Codes" table: HTTP status -> the envelope's `error` code.
ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    429: "rate_limit_exceeded",
    500: "internal_error",
    503: "service_unavailable",
    504: "timeout",
}
# Fields `PUT /sessions/{id}` must refuse (a 400 naming the field), with values to try.
IMMUTABLE_FIELDS = ("session_id", "project_id", "machine_id", "started_at")
FINISHED = frozenset({"completed", "failed", "archived"})
TASK_STATUSES = ("pending", "in_progress", "completed", "failed")

_RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
_DEFAULT_THRESHOLD = 300  # seconds: the documented default of `threshold`
_HOUR = 3600
_CLOCK_SLACK = 5  # seconds a Reset may lie before the response's Date (clock granularity)
_UNIX_SECONDS = (10**9, 10**11)  # a plausible Unix time in seconds (2001 .. year 5138)
_INTEGER = re.compile(r"\d+")
_LIST_LIMIT = 100  # the documented maximum page size
_PROBE_MARK = "mockgate_probe"
_DOC_MACHINE, _DOC_PROJECT = "macbook-pro-m1", "123"  # the document's identifiers
_MAX_REPORTED = 3
_SAMPLED = 5  # records a read-only probe looks at closely
_TRAIL = 12  # steps a probe's reproduction lists at most


# --- error_envelope --------------------------------------------------------------------------


@response_check("error_envelope", apis=API)
def error_envelope(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """Every 4xx/5xx JSON body is the API's error envelope: `statusCode` equal to the HTTP
    status, `error` the code the document's table gives that status (`validation_error` 400,
    `unauthorized` 401, `forbidden` 403, `not_found` 404, `conflict` 409,
    `rate_limit_exceeded` 429, `internal_error` 500, `service_unavailable` 503, `timeout`
    504; for a status the table does not list, any non-empty string), a string `message`, a
    string `request_id` (equal to the `X-Request-Id` header when both are non-empty), an
    RFC 3339 `timestamp` and `path`, the path that was requested; and `details`, a list of
    strings, on the 400s whose declared response requires it (input validation; state-rule
    400s such as a heartbeat of a finished session may leave it out).

    `path` may carry the query string (NestJS reports `request.url`) and may lack a prefix a
    reverse proxy strips (it must still be a path of the operation); percent-encoding is
    ignored. Bodies that are not JSON are not judged, nor statuses whose declared body is not
    the envelope (the `503` of `/health/ready`).
    """
    if exchange.status < 400:
        return
    body = exchange.json
    if body is None:
        return
    declared = _declared_schema(api, exchange)
    if declared is not None and "statusCode" not in _properties(declared):
        return  # the operation declares its own body for this status
    if not isinstance(body, Mapping):
        yield f"the {exchange.status} body is {type(body).__name__}, not the error envelope"
        return
    yield from _envelope_problems(exchange, body, declared)


def _envelope_problems(
    exchange: Exchange, body: Mapping[str, Any], declared: Mapping[str, Any] | None
) -> Iterator[str]:
    status = exchange.status
    missing = [
        name
        for name in ("statusCode", "error", "message", "request_id", "timestamp", "path")
        if name not in body
    ]
    if missing:
        yield f"the {status} envelope lacks {', '.join(missing)}"
    code = body.get("statusCode")
    if "statusCode" in body and (isinstance(code, bool) or code != status):
        yield f"statusCode is {code!r}, but the HTTP status is {status}"
    error = body.get("error")
    expected = ERROR_CODES.get(status)
    if "error" in body:
        if expected is not None and error != expected:
            yield f"error is {error!r}; the document's code for {status} is {expected!r}"
        elif expected is None and (not isinstance(error, str) or not error):
            yield f"error is {error!r}, not a non-empty error code"
    if "message" in body and not isinstance(body["message"], str):
        yield f"message is {body['message']!r}, not a string"
    request_id = body.get("request_id")
    if "request_id" in body and not isinstance(request_id, str):
        yield f"request_id is {request_id!r}, not a string"
    header = exchange.response_headers.get("x-request-id")
    if isinstance(request_id, str) and request_id and header and header != request_id:
        yield f"request_id is {request_id!r}, but the X-Request-Id header is {header!r}"
    if "timestamp" in body and parse_instant(body["timestamp"]) is None:
        yield f"timestamp {body['timestamp']!r} is not an RFC 3339 date-time"
    if "path" in body and not _same_path(exchange, body["path"]):
        requested = urlsplit(exchange.url).path
        yield f"path is {body['path']!r}, but the request was for {requested!r}"
    details = body.get("details")
    if declared is not None and "details" in _required(declared) and "details" not in body:
        yield (
            f"a {status} for invalid input has no details (the declared response requires the "
            "list of problems)"
        )
    elif "details" in body and (
        not isinstance(details, list) or not all(isinstance(d, str) for d in details)
    ):
        yield f"details is {details!r}, not a list of strings"


def _declared_schema(api: ApiSpec, exchange: Exchange) -> dict[str, Any] | None:
    try:
        responses = api.operation_by_id(exchange.operation_id).get("responses", {})
    except KeyError:
        return None
    response = responses.get(str(exchange.status))
    if not isinstance(response, Mapping):
        return None
    for media, content in response.get("content", {}).items():
        if "json" in media and isinstance(content.get("schema"), Mapping):
            return dict(content["schema"])
    return None


def _properties(schema: Mapping[str, Any]) -> set[str]:
    found = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= _properties(part)
    return found


def _required(schema: Mapping[str, Any]) -> set[str]:
    found = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        found |= _required(part)
    return found


def _same_path(exchange: Exchange, reported: Any) -> bool:
    if not isinstance(reported, str):
        return False
    requested = unquote(urlsplit(exchange.url).path)
    candidates = {unquote(reported), unquote(reported.split("?", 1)[0])}
    if requested in candidates:
        return True
    # Behind a proxy that strips a prefix, the server sees (and reports) the path without it.
    pattern = re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(exchange.path)) + "$")
    return any(c.startswith("/") and requested.endswith(c) and pattern.match(c) for c in candidates)


# --- rate_limit_headers ------------------------------------------------------------------------


@response_check("rate_limit_headers", apis=API)
def rate_limit_headers(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """On the rate-limited operations (`x-mockgate-rate-limit`), the `X-RateLimit-*` headers
    come all three or none (a deployment may switch limits off): `Limit` a positive integer,
    `Remaining` an integer from 0 to `Limit`, `Reset` a Unix time in seconds that is not in
    the past (at most 5 s before the response's `Date`, when it has one) and at most an hour
    ahead (the longest documented window). Every 429 carries `Retry-After`, an integer number
    of seconds >= 0, and the error envelope with `error: rate_limit_exceeded`.

    `Limit` is not compared with the documented 60 (120 on the heartbeat routes): the document
    itself provides for keys with increased limits ("request increased limits") and a
    deployment may be configured stricter; neither is a departure from the contract. A `Reset`
    that counts seconds instead of giving a Unix time (some throttlers do) is reported: the
    document says Unix timestamp.
    """
    headers = exchange.response_headers
    if exchange.status == 429:
        yield from _too_many_requests(exchange)
    try:
        limited = api.operation_by_id(exchange.operation_id).get("x-mockgate-rate-limit")
    except KeyError:
        return
    present = [name for name in _RATE_HEADERS if name in headers]
    if not limited or not present:
        return
    if len(present) < len(_RATE_HEADERS):
        absent = [_title(n) for n in _RATE_HEADERS if n not in present]
        yield (
            f"{', '.join(_title(n) for n in present)} sent without {', '.join(absent)}: the "
            "rate-limit headers come all three or none"
        )
        return
    values = {name: _integer(headers[name]) for name in _RATE_HEADERS}
    for name, value in values.items():
        if value is None:
            yield f"{_title(name)} is {headers[name]!r}, not an integer"
    limit, remaining, reset = (values[name] for name in _RATE_HEADERS)
    if limit is not None and limit < 1:
        yield f"X-RateLimit-Limit is {limit}: a limit allows at least one request"
    if limit is not None and remaining is not None and remaining > limit:
        yield f"X-RateLimit-Remaining is {remaining}, more than X-RateLimit-Limit {limit}"
    if reset is not None:
        yield from _reset_problems(reset, headers.get("date"))


def _too_many_requests(exchange: Exchange) -> Iterator[str]:
    retry = exchange.response_headers.get("retry-after")
    if retry is None:
        yield "a 429 without Retry-After"
    elif _integer(retry) is None:
        yield f"Retry-After is {retry!r}, not a whole number of seconds"
    body = exchange.json
    if not isinstance(body, Mapping):
        yield "the 429 body is not the error envelope"
    elif body.get("error") != "rate_limit_exceeded":
        yield f"the 429 envelope's error is {body.get('error')!r}, not 'rate_limit_exceeded'"


def _reset_problems(reset: int, date_header: str | None) -> Iterator[str]:
    low, high = _UNIX_SECONDS
    if not low <= reset < high:
        yield (
            f"X-RateLimit-Reset is {reset}: not a Unix time in seconds (the document: 'Unix "
            "timestamp when limit resets')"
        )
        return
    sent = _http_date(date_header)
    if sent is None:
        return
    if reset < sent - _CLOCK_SLACK:
        yield f"X-RateLimit-Reset {reset} is {sent - reset} s before the response's Date"
    elif reset > sent + _HOUR + 60:
        yield (
            f"X-RateLimit-Reset {reset} is {reset - sent} s after the response's Date: beyond "
            "the longest documented window (an hour)"
        )


def _http_date(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return math.floor(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _integer(value: Any) -> int | None:
    text = str(value).strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def _title(name: str) -> str:
    return "-".join("RateLimit" if p == "ratelimit" else p.capitalize() for p in name.split("-"))


# --- probes: helpers -------------------------------------------------------------------------


def _body(exchange: Exchange) -> dict[str, Any]:
    return exchange.json if isinstance(exchange.json, dict) else {}


def _items(exchange: Exchange) -> list[dict[str, Any]]:
    body = exchange.json if exchange.status == 200 else None
    return [r for r in body if isinstance(r, dict)] if isinstance(body, list) else []


@dataclass
class _Flow:
    """One probe's sequence: the exchanges so far (the reproduction), what it found, and the
    sessions it created (purged at the end)."""

    check: str
    session: ProbeSession
    steps: list[Exchange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    place: tuple[str, str] | None = None  # (machine_id, project_id) sessions are created on
    origin: Exchange | None = None  # the creation of the flow's first session

    def call(self, operation: str, **kwargs: Any) -> Exchange:
        exchange = self.session.call(operation, **kwargs)
        self.steps.append(exchange)
        return exchange

    def fail(self, message: str, operation: str | None = None) -> None:
        """A finding about ``operation`` (default: the last step's), reproduced by the steps
        since the flow began: the session's creation and the last steps (twelve at most)."""
        trail = self.steps[-_TRAIL:]
        if self.origin is not None and self.origin not in trail:
            trail = [self.origin, *trail[1:]]
        op = operation or trail[-1].operation_id
        self.findings.append(Finding.from_exchanges(self.check, message, *trail, operation=op))

    def expect(self, exchange: Exchange, wanted: int, what: str) -> bool:
        """Whether ``exchange`` has the status ``wanted``; a finding when not."""
        if exchange.status == wanted:
            return True
        extra = _error_text(exchange)
        self.fail(f"{what}: expected {wanted}, got {exchange.status}{extra}")
        return False

    def new_session(self, **extra: Any) -> tuple[Exchange, str | None]:
        """Create a session (on a listed machine and project); its id, or None when the server
        would not create one for a reason that is not a departure (unknown machine or project).
        A 403 (a read-only key) skips the probe, as read-only mode does."""
        for machine, project in self._places():
            body = {
                "project_id": project,
                "machine_id": machine,
                "metadata": {_PROBE_MARK: self.check},
                **extra,
            }
            exchange = self.call("createSession", body=body)
            sid = _body(exchange).get("session_id")
            if exchange.status == 201 and isinstance(sid, str) and sid:
                self.created.append(sid)
                self.place = (machine, project)
                self.origin = self.origin or exchange
                return exchange, sid
            if exchange.status == 403:
                # A read-only key: the probe cannot judge, like a run in read-only mode.
                raise ReadOnly(f"the credential may not write ({exchange.describe()})")
            if exchange.status != 404:
                break
        return exchange, None

    def _places(self) -> list[tuple[str, str]]:
        if self.place is not None:
            return [self.place]
        machines = _items(self.session.call("listMachines"))
        online = [m for m in machines if m.get("status") == "online"] or machines
        machine_ids = [str(m["machine_id"]) for m in online if m.get("machine_id")][:1]
        sessions = _items(self.session.call("listSessions", query={"limit": _LIST_LIMIT}))
        projects = list(
            dict.fromkeys(str(s["project_id"]) for s in sessions if s.get("project_id"))
        )
        projects = projects[:1] + ([_DOC_PROJECT] if _DOC_PROJECT not in projects[:1] else [])
        machine_ids += [] if machine_ids else [_DOC_MACHINE]
        return [(m, p) for m in machine_ids for p in projects]

    def cleanup(self) -> None:
        """Purge what the flow created (best effort: a cleanup never reports anything)."""
        for sid in self.created:
            try:
                self.session.call("purgeSession", path_params={"id": sid}, body={"confirm": True})
            except Exception:  # rate limits, transport errors: leave it
                return
        self.created.clear()


def _error_text(exchange: Exchange) -> str:
    """The error's message, to show next to an unexpected error status."""
    if exchange.status < 400:
        return ""
    body = _body(exchange)
    message = body.get("message") if isinstance(body.get("message"), str) else None
    return f" ({message})" if message else ""


def _named(exchange: Exchange, name: str) -> bool:
    body = _body(exchange)
    texts = [body.get("message")]
    details = body.get("details")
    texts += details if isinstance(details, list) else [details]
    return any(isinstance(t, str) and name in t for t in texts)


# --- session_state_machine ---------------------------------------------------------------------


@probe("session_state_machine", apis=API, writes=True)
def session_state_machine(session: ProbeSession) -> Iterator[Finding]:
    """A session the probe creates obeys the documented state machine: created `active` with
    `recovery_attempts` 0; `PUT` of an immutable field (`session_id`, `project_id`,
    `machine_id`, `started_at`) is a 400 whose message or details name the field; heartbeat
    200 (still `active`); failure-info of a session that has not failed 400; archiving an
    unfinished session 400; mark-failed 200 (`failed`), then failure-info 200 with the reason
    given; heartbeat of a failed session 400; recover 200, `active` again with
    `recovery_attempts` one higher (also on a re-read); soft delete 204, then the session reads
    `completed` with a `completed_at`; heartbeat of a completed session 400; archiving it 200
    (`archived`); purge without a body or with `confirm: false` 400; purge with
    `{"confirm": true}` 200, after which the session is gone (404).

    A step that should succeed and does not ends the sequence (later steps would judge a
    state the server never reached). The reproduction lists every step since the session was
    created (the curl commands name that session's id).
    """
    flow = _Flow("session_state_machine", session)
    try:
        _state_machine(flow)
    finally:
        flow.cleanup()
    yield from flow.findings


def _state_machine(flow: _Flow) -> None:
    created, sid = flow.new_session()
    if sid is None:
        return
    record = _body(created)
    if record.get("status") != "active" or record.get("recovery_attempts") != 0:
        flow.fail(
            f"a new session has status {record.get('status')!r} and recovery_attempts "
            f"{record.get('recovery_attempts')!r}; documented: 'active' and 0"
        )
    ids = {"id": sid}
    for name in IMMUTABLE_FIELDS:
        value = _changed_value(name, record)
        put = flow.call("updateSession", path_params=ids, body={name: value})
        if put.status == 200:
            flow.fail(f"PUT changed the immutable field {name} (to {value!r}); expected a 400")
        elif put.status == 400 and not _named(put, name):
            flow.fail(f"PUT with the immutable field {name} is refused, but the 400 never names it")
        elif put.status != 400:
            flow.expect(put, 400, f"PUT with the immutable field {name}")
    beat = flow.call("sessionHeartbeat", path_params=ids)
    if not flow.expect(beat, 200, "heartbeat of an active session"):
        return
    if _body(beat).get("status") != "active":
        flow.fail(f"a heartbeat of an active session answers status {_body(beat).get('status')!r}")
    flow.expect(
        flow.call("getSessionFailureInfo", path_params=ids),
        400,
        "failure-info of a session that has not failed",
    )
    flow.expect(flow.call("archiveSession", path_params=ids), 400, "archiving an active session")
    reason = "mockgate conformance probe: marked failed on purpose"
    failed = flow.call(
        "markSessionFailed",
        path_params=ids,
        body={"reason": reason, "error_details": {"error_code": "MOCKGATE_PROBE"}},
    )
    if not flow.expect(failed, 200, "mark-failed of an active session"):
        return
    if _body(failed).get("status") != "failed":
        flow.fail(f"mark-failed answers status {_body(failed).get('status')!r}, not 'failed'")
    info = flow.call("getSessionFailureInfo", path_params=ids)
    if flow.expect(info, 200, "failure-info of a failed session") and (
        _body(info).get("failure_reason") != reason
    ):
        flow.fail(
            f"failure-info gives failure_reason {_body(info).get('failure_reason')!r}, not the "
            f"reason the session was marked failed with ({reason!r})"
        )
    flow.expect(
        flow.call("sessionHeartbeat", path_params=ids), 400, "heartbeat of a failed session"
    )
    before = flow.call("getSession", path_params=ids)
    attempts = _body(before).get("recovery_attempts")
    recovered = flow.call("recoverSession", path_params=ids, body={})
    if not flow.expect(recovered, 200, "recover of a failed session (in place, no body fields)"):
        return
    if isinstance(attempts, int):
        for label, exchange in (
            ("recover answers", recovered),
            ("the session reads", flow.call("getSession", path_params=ids)),
        ):
            got = _body(exchange)
            if got.get("status") != "active" or got.get("recovery_attempts") != attempts + 1:
                flow.fail(
                    f"after recovering, {label} status {got.get('status')!r} and "
                    f"recovery_attempts {got.get('recovery_attempts')!r}; expected 'active' and "
                    f"{attempts + 1} (one more than {attempts})",
                    "recoverSession",
                )
    if not flow.expect(
        flow.call("deleteSession", path_params=ids), 204, "soft delete of an active session"
    ):
        return
    deleted = flow.call("getSession", path_params=ids)
    if flow.expect(deleted, 200, "reading a soft-deleted session") and (
        _body(deleted).get("status") != "completed" or not _body(deleted).get("completed_at")
    ):
        flow.fail(
            f"after the soft delete the session has status {_body(deleted).get('status')!r} and "
            f"completed_at {_body(deleted).get('completed_at')!r}; documented: 'completed', set"
        )
    flow.expect(
        flow.call("sessionHeartbeat", path_params=ids), 400, "heartbeat of a completed session"
    )
    archived = flow.call("archiveSession", path_params=ids)
    if flow.expect(archived, 200, "archiving a completed session") and (
        _body(archived).get("status") != "archived"
    ):
        flow.fail(f"archive answers status {_body(archived).get('status')!r}, not 'archived'")
    flow.expect(
        flow.call("purgeSession", path_params=ids), 400, "purge without a body (no confirm)"
    )
    flow.expect(
        flow.call("purgeSession", path_params=ids, body={"confirm": False}),
        400,
        "purge with confirm: false",
    )
    purged = flow.call("purgeSession", path_params=ids, body={"confirm": True})
    if not flow.expect(purged, 200, 'purge with {"confirm": true}'):
        return
    flow.created.remove(sid)
    flow.expect(flow.call("getSession", path_params=ids), 404, "reading a purged session")


def _changed_value(name: str, record: Mapping[str, Any]) -> Any:
    if name == "started_at":
        return "2001-01-01T00:00:00.000Z"
    if name == "session_id":
        return "00000000-0000-4000-8000-000000000000"
    return f"{record.get(name) or 'x'}-mockgate-changed"


# --- task_lifecycle ----------------------------------------------------------------------------


@probe("task_lifecycle", apis=API, writes=True)
def task_lifecycle(session: ProbeSession) -> Iterator[Finding]:
    """Tasks follow the documented transitions, in a session the probe creates: a new task is
    `pending`; completing a pending task is a 400 (`in_progress -> completed` only); start
    makes it `in_progress`; starting it again is a 400; complete makes it `completed`; fail
    (or start) of a completed task is a 400; a pending task can be failed (`failed`, with the
    `error_message` given), after which complete is a 400. The session's progress then counts
    2 tasks, 1 completed, 1 failed, 50 %, each task in the `by_status` group of its status,
    and `GET /tasks?session_id=` lists the same two tasks with the same statuses; purging the
    session reports `tasks_deleted: 2`.

    Whether starting a task makes it the session's `current_task_id` is not judged: neither
    the document nor the spec says so, and the document's clients set `current_task_id`
    themselves with `PUT /sessions/{id}`.
    """
    flow = _Flow("task_lifecycle", session)
    try:
        _task_lifecycle(flow)
    finally:
        flow.cleanup()
    yield from flow.findings


def _task_lifecycle(flow: _Flow) -> None:
    _, sid = flow.new_session()
    if sid is None or flow.place is None:
        return
    project = flow.place[1]
    first = _new_task(flow, sid, project)
    if first is None:
        return
    tid = {"id": first}
    flow.expect(flow.call("completeTask", path_params=tid), 400, "completing a pending task")
    started = flow.call("startTask", path_params=tid)
    if not flow.expect(started, 200, "starting a pending task"):
        return
    if _body(started).get("status") != "in_progress":
        flow.fail(f"start answers status {_body(started).get('status')!r}, not 'in_progress'")
    flow.expect(flow.call("startTask", path_params=tid), 400, "starting a task in progress")
    completed = flow.call("completeTask", path_params=tid)
    if not flow.expect(completed, 200, "completing a task in progress"):
        return
    if _body(completed).get("status") != "completed":
        flow.fail(f"complete answers status {_body(completed).get('status')!r}")
    flow.expect(
        flow.call("failTask", path_params=tid, body={"error_message": "mockgate probe"}),
        400,
        "failing a completed task",
    )
    flow.expect(flow.call("startTask", path_params=tid), 400, "starting a completed task")
    second = _new_task(flow, sid, project)
    if second is None:
        return
    message = "mockgate probe: failed on purpose"
    failed = flow.call("failTask", path_params={"id": second}, body={"error_message": message})
    if not flow.expect(failed, 200, "failing a pending task"):
        return
    if _body(failed).get("status") != "failed" or _body(failed).get("error_message") != message:
        flow.fail(
            f"fail answers status {_body(failed).get('status')!r} and error_message "
            f"{_body(failed).get('error_message')!r}; expected 'failed' and {message!r}"
        )
    flow.expect(
        flow.call("completeTask", path_params={"id": second}), 400, "completing a failed task"
    )
    expected = {first: "completed", second: "failed"}
    _judge_progress(flow, sid, expected)
    listed = flow.call("listTasks", query={"session_id": sid, "limit": _LIST_LIMIT})
    if flow.expect(listed, 200, "listing the session's tasks"):
        got = {str(t.get("task_id")): t.get("status") for t in _items(listed)}
        if got != expected:
            flow.fail(f"GET /tasks?session_id= lists {got}; the session's tasks are {expected}")
    purged = flow.call("purgeSession", path_params={"id": sid}, body={"confirm": True})
    if flow.expect(purged, 200, 'purge with {"confirm": true}'):
        flow.created.remove(sid)
        if _body(purged).get("tasks_deleted") != len(expected):
            flow.fail(
                f"purge reports tasks_deleted {_body(purged).get('tasks_deleted')!r}; the "
                f"session had {len(expected)} tasks"
            )


def _new_task(flow: _Flow, sid: str, project: str) -> str | None:
    created = flow.call(
        "createTask",
        body={"session_id": sid, "project_id": project, "metadata": {_PROBE_MARK: flow.check}},
    )
    if not flow.expect(created, 201, "creating a task in an active session"):
        return None
    task = _body(created)
    if task.get("status") != "pending":
        flow.fail(f"a new task has status {task.get('status')!r}; documented: 'pending'")
    tid = task.get("task_id")
    return str(tid) if isinstance(tid, str | int) and not isinstance(tid, bool) else None


def _judge_progress(flow: _Flow, sid: str, expected: Mapping[str, str]) -> None:
    progress = flow.call("getSessionTasks", path_params={"id": sid})
    if not flow.expect(progress, 200, "the session's task progress"):
        return
    body = _body(progress)
    problems = _progress_problems(sid, body)
    groups = body.get("by_status") if isinstance(body.get("by_status"), dict) else {}
    grouped = {
        str(t.get("task_id")): status
        for status, group in groups.items()
        if isinstance(group, dict) and isinstance(group.get("tasks"), list)
        for t in group["tasks"]
        if isinstance(t, dict)
    }
    if grouped != dict(expected):
        problems.append(f"by_status groups the tasks as {grouped}; they are {dict(expected)}")
    completed = sum(1 for s in expected.values() if s == "completed")
    failed = sum(1 for s in expected.values() if s == "failed")
    counts = (body.get("total_tasks"), body.get("completed_tasks"), body.get("failed_tasks"))
    if counts != (len(expected), completed, failed):
        problems.append(
            f"total/completed/failed_tasks are {counts}; the session has {len(expected)}, "
            f"{completed}, {failed}"
        )
    if problems:
        flow.fail("task progress: " + "; ".join(problems[:_MAX_REPORTED]))


def _progress_problems(sid: str, body: Mapping[str, Any]) -> list[str]:
    """What is inconsistent inside one `GET /sessions/{id}/tasks` answer."""
    problems: list[str] = []
    groups = body.get("by_status")
    if not isinstance(groups, dict):
        return problems
    counts: dict[str, int] = {}
    for status in TASK_STATUSES:
        group = groups.get(status)
        if not isinstance(group, dict) or not isinstance(group.get("tasks"), list):
            continue
        tasks = [t for t in group["tasks"] if isinstance(t, dict)]
        counts[status] = len(tasks)
        if group.get("count") != len(tasks):
            problems.append(
                f"by_status.{status}.count is {group.get('count')!r} for {len(tasks)} tasks"
            )
        strays = [t.get("task_id") for t in tasks if t.get("status") != status]
        if strays:
            problems.append(f"by_status.{status} holds tasks of another status: {strays[:3]}")
        foreign = [t.get("task_id") for t in tasks if t.get("session_id") not in (None, sid)]
        if foreign:
            problems.append(f"by_status.{status} holds tasks of another session: {foreign[:3]}")
    if len(counts) < len(TASK_STATUSES):
        return problems
    total = sum(counts.values())
    for name, wanted in (
        ("total_tasks", total),
        ("completed_tasks", counts["completed"]),
        ("failed_tasks", counts["failed"]),
    ):
        if body.get(name) != wanted:
            problems.append(f"{name} is {body.get(name)!r}; by_status holds {wanted}")
    percentage = body.get("progress_percentage")
    exact = 100 * counts["completed"] / total if total else 0.0
    # Rounded either way to a whole number at most: "may be fractional".
    numeric = isinstance(percentage, int | float) and not isinstance(percentage, bool)
    if numeric and abs(percentage - exact) >= 1:
        problems.append(
            f"progress_percentage is {percentage}; {counts['completed']} of {total} tasks "
            f"completed is {exact:.2f}"
        )
    return problems


# --- slot_conflict ---------------------------------------------------------------------------


@probe("slot_conflict", apis=API, writes=True)
def slot_conflict(session: ProbeSession) -> Iterator[Finding]:
    """Docker slots are exclusive: the probe creates a session in a free slot of a listed
    machine (which the machine's `assigned_sessions` then names), and then assigning another
    session to that occupied slot is a 409, creating a session in it is a 409, and assigning
    a session to a slot the machine does not have (one above its highest) is a 400.

    Needs a listed machine with a free slot (`assigned_sessions` null or absent for one of its
    `docker_slots`), preferably online; without one nothing is judged.
    """
    flow = _Flow("slot_conflict", session)
    try:
        _slot_conflict(flow)
    finally:
        flow.cleanup()
    yield from flow.findings


def _slot_conflict(flow: _Flow) -> None:
    machines = flow.call("listMachines")
    chosen = _free_slot(_items(machines))
    if chosen is None:
        return
    machine_id, slot, slots = chosen
    projects = _items(flow.session.call("listSessions", query={"limit": _LIST_LIMIT}))
    project = next((str(s["project_id"]) for s in projects if s.get("project_id")), _DOC_PROJECT)
    flow.place = (machine_id, project)
    _, holder = flow.new_session(docker_slot=slot)
    if holder is None:
        return
    listed = flow.call("listMachines")
    machine = next((m for m in _items(listed) if m.get("machine_id") == machine_id), None)
    assigned = machine.get("assigned_sessions") if machine else None
    if isinstance(assigned, dict) and assigned.get(str(slot)) != holder:
        flow.fail(
            f"session {holder!r} was created in slot {slot} of {machine_id!r}, but the machine's "
            f"assigned_sessions gives slot {slot} to {assigned.get(str(slot))!r}"
        )
    _, other = flow.new_session()
    if other is None:
        return
    flow.expect(
        flow.call(
            "assignSessionToMachine",
            path_params={"id": machine_id},
            body={"session_id": other, "docker_slot": slot},
        ),
        409,
        f"assigning a session to slot {slot}, which another session occupies",
    )
    third = flow.call(
        "createSession",
        body={
            "project_id": project,
            "machine_id": machine_id,
            "docker_slot": slot,
            "metadata": {_PROBE_MARK: flow.check},
        },
    )
    if third.status == 201 and isinstance(_body(third).get("session_id"), str):
        flow.created.append(_body(third)["session_id"])
    flow.expect(third, 409, f"creating a session in the occupied slot {slot}")
    missing = max(slots) + 1
    flow.expect(
        flow.call(
            "assignSessionToMachine",
            path_params={"id": machine_id},
            body={"session_id": other, "docker_slot": missing},
        ),
        400,
        f"assigning a session to slot {missing}, which {machine_id!r} does not have "
        f"(its slots: {sorted(slots)})",
    )


def _free_slot(machines: Sequence[Mapping[str, Any]]) -> tuple[str, int, list[int]] | None:
    ranked = sorted(machines, key=lambda m: m.get("status") != "online")
    for machine in ranked:
        slots = machine.get("docker_slots")
        assigned = machine.get("assigned_sessions")
        if not isinstance(slots, list) or not isinstance(assigned, dict):
            continue
        numbers = [s for s in slots if isinstance(s, int) and not isinstance(s, bool)]
        for slot in numbers:
            if assigned.get(str(slot)) is None and isinstance(machine.get("machine_id"), str):
                return machine["machine_id"], slot, numbers
    return None


# --- stalled_reactivation ----------------------------------------------------------------------


@probe("stalled_reactivation", apis=API, writes=True)
def stalled_reactivation(session: ProbeSession) -> Iterator[Finding]:
    """A heartbeat reactivates a stalled session: the probe creates a session, sets it to
    `stalled` with `PUT /sessions/{id}` and sends a heartbeat, which answers 200 with status
    `active`, and the session then reads `active`.

    A natural stall takes 300 s of silence on the server's clock, which a probe cannot move; the
    update is the documented way to reach the state without waiting. A server that refuses to
    write `stalled` (a state rule, 400) or does not keep it is not judged.
    """
    flow = _Flow("stalled_reactivation", session)
    try:
        _stalled_reactivation(flow)
    finally:
        flow.cleanup()
    yield from flow.findings


def _stalled_reactivation(flow: _Flow) -> None:
    _, sid = flow.new_session()
    if sid is None:
        return
    ids = {"id": sid}
    stalled = flow.call("updateSession", path_params=ids, body={"status": "stalled"})
    if stalled.status != 200 or _body(stalled).get("status") != "stalled":
        return
    if _body(flow.call("getSession", path_params=ids)).get("status") != "stalled":
        return
    beat = flow.call("sessionHeartbeat", path_params=ids)
    if not flow.expect(beat, 200, "heartbeat of a stalled session"):
        return
    answered = _body(beat).get("status")
    after = _body(flow.call("getSession", path_params=ids)).get("status")
    if answered != "active" or after != "active":
        flow.fail(
            f"a heartbeat of a stalled session answers status {answered!r} and the session then "
            f"reads {after!r}; documented: a stalled session is reactivated ('active')",
            "sessionHeartbeat",
        )


# --- stale_consistency -------------------------------------------------------------------------


@probe("stale_consistency", apis=API)
def stale_consistency(session: ProbeSession) -> Iterator[Finding]:
    """The stale and active lists agree with the sessions. Read-only.

    Stale (`GET /sessions/stale`, with the default threshold and with 60 and 3600): every
    entry has `is_stale: true`, `seconds_since_heartbeat` >= the threshold (default 300), and
    a status other than completed, failed or archived; the session's own health at the same
    threshold, read next, is stale too and not younger, unless a heartbeat arrived in between
    (its `last_heartbeat` moved). Active (`GET /sessions/active`): between two reads of
    `GET /sessions` that agree on a session (no change in between), that session is in the
    active list exactly when its status is `active`, with the same `project_id`,
    `machine_id`, `started_at` and `current_task_id`.
    """
    found: list[Finding] = []
    for threshold in (None, 60, _HOUR):
        exchange = session.call("findStaleSessions", query={"threshold": threshold})
        limit = _DEFAULT_THRESHOLD if threshold is None else threshold
        entries = _items(exchange)
        problems = []
        for entry in entries:
            label = f"session {entry.get('session_id')!r}"
            seconds = entry.get("seconds_since_heartbeat")
            if entry.get("is_stale") is not True:
                problems.append(f"{label} has is_stale {entry.get('is_stale')!r}")
            if isinstance(seconds, int) and seconds < limit:
                problems.append(f"{label} is {seconds} s since its heartbeat, under {limit} s")
            if entry.get("status") in FINISHED:
                problems.append(
                    f"{label} is {entry.get('status')} (finished sessions are not stale)"
                )
        if problems:
            found.append(
                Finding.from_exchanges(
                    "stale_consistency",
                    f"stale list (threshold {limit}): " + "; ".join(problems[:_MAX_REPORTED]),
                    exchange,
                )
            )
            continue
        found += _stale_health(session, exchange, entries[:_SAMPLED], threshold, limit)
    found += _active_list(session)
    yield from found


def _stale_health(
    session: ProbeSession,
    listing: Exchange,
    entries: Sequence[Mapping[str, Any]],
    threshold: int | None,
    limit: int,
) -> Iterator[Finding]:
    for entry in entries:
        sid = entry.get("session_id")
        if not isinstance(sid, str):
            continue
        health = session.call(
            "getSessionHealth", path_params={"id": sid}, query={"threshold": threshold}
        )
        body = _body(health)
        if health.status != 200 or body.get("last_heartbeat") != entry.get("last_heartbeat"):
            continue  # gone, or a heartbeat arrived in between
        seconds, listed = body.get("seconds_since_heartbeat"), entry.get("seconds_since_heartbeat")
        if body.get("is_stale") is not True:
            yield Finding.from_exchanges(
                "stale_consistency",
                f"session {sid!r} is in the stale list (threshold {limit}) but its health at the "
                f"same threshold says is_stale {body.get('is_stale')!r}, with the same "
                "last_heartbeat",
                listing,
                health,
            )
        elif isinstance(seconds, int) and isinstance(listed, int) and seconds < listed - 1:
            yield Finding.from_exchanges(
                "stale_consistency",
                f"session {sid!r}: {listed} s since its heartbeat in the stale list, but only "
                f"{seconds} s in its health read afterwards, with the same last_heartbeat",
                listing,
                health,
            )


def _active_list(session: ProbeSession) -> Iterator[Finding]:
    query = {"limit": _LIST_LIMIT}
    before = session.call("listSessions", query=query)
    active = session.call("findActiveSessions")
    after = session.call("listSessions", query=query)
    if active.status != 200 or before.status != 200 or after.status != 200:
        return
    first = {s.get("session_id"): s for s in _items(before)}
    steady = {
        sid: record
        for sid, record in ((s.get("session_id"), s) for s in _items(after))
        if isinstance(sid, str) and first.get(sid) == record
    }
    listed = {s.get("session_id"): s for s in _items(active)}
    problems: list[str] = []
    for sid, record in steady.items():
        summary = listed.get(sid)
        if record.get("status") == "active" and summary is None:
            problems.append(f"{sid!r} is active but not in the active list")
        elif record.get("status") != "active" and summary is not None:
            problems.append(
                f"{sid!r} is in the active list but its status is {record.get('status')!r}"
            )
        elif summary is not None:
            differ = [
                k
                for k in ("project_id", "machine_id", "started_at", "current_task_id")
                if k in summary and summary.get(k) != record.get(k)
            ]
            if differ:
                problems.append(f"{sid!r} differs from its record in the active list: {differ}")
    if problems:
        yield Finding.from_exchanges(
            "stale_consistency",
            "active list: " + "; ".join(problems[:_MAX_REPORTED]),
            before,
            active,
            after,
            operation="findActiveSessions",
        )


# --- grouping_consistency ----------------------------------------------------------------------


@probe("grouping_consistency", apis=API)
def grouping_consistency(session: ProbeSession) -> Iterator[Finding]:
    """The grouped answers agree with the records. Read-only.

    By project (`GET /sessions/by-project/{projectId}`, for up to three projects of the
    session list): `total_sessions` is the sum of the groups' `count`, each `count` the length
    of its `sessions`, each session in the group of its status and of that project, no archived
    group or session; and between two reads of `GET /sessions?project_id=` that agree (and hold
    fewer than 100 sessions), the groups hold exactly those sessions with those statuses.
    Progress (`GET /sessions/{id}/tasks`, for up to five sessions): every group's `count` is the
    length of its `tasks`, each task of that status and session, `total_tasks` the sum,
    `completed_tasks` and `failed_tasks` their groups' counts, `progress_percentage`
    `completed / total * 100` (0 without tasks) to within 1 (it may be rounded); and between two
    agreeing reads of `GET /tasks?session_id=`, the groups hold exactly those tasks.
    """
    query = {"limit": _LIST_LIMIT}
    listing = session.call("listSessions", query=query)
    sessions = _items(listing)
    projects = list(dict.fromkeys(str(s["project_id"]) for s in sessions if s.get("project_id")))
    for project in projects[:3]:
        yield from _by_project(session, project)
    for record in sessions[:_SAMPLED]:
        if isinstance(record.get("session_id"), str):
            yield from _progress(session, record["session_id"])


def _by_project(session: ProbeSession, project: str) -> Iterator[Finding]:
    query = {"project_id": project, "limit": _LIST_LIMIT}
    before = session.call("listSessions", query=query)
    grouped = session.call("getSessionsByProject", path_params={"projectId": project})
    after = session.call("listSessions", query=query)
    if grouped.status != 200:
        return
    body = _body(grouped)
    groups = body.get("by_status") if isinstance(body.get("by_status"), dict) else {}
    problems: list[str] = []
    members: dict[str, str] = {}
    counted = 0
    for status, group in groups.items():
        if not isinstance(group, dict) or not isinstance(group.get("sessions"), list):
            continue
        records = [s for s in group["sessions"] if isinstance(s, dict)]
        if status == "archived":
            problems.append("an archived group (archived sessions are excluded)")
        if group.get("count") != len(records):
            problems.append(
                f"by_status.{status}.count is {group.get('count')!r} for {len(records)} sessions"
            )
        counted += group.get("count") if isinstance(group.get("count"), int) else len(records)
        for record in records:
            sid = str(record.get("session_id"))
            if record.get("status") != status:
                problems.append(f"{sid!r} ({record.get('status')}) is in the {status} group")
            if record.get("project_id") != project:
                problems.append(f"{sid!r} of project {record.get('project_id')!r} is listed")
            if sid in members:
                problems.append(f"{sid!r} is in two groups")
            members[sid] = str(record.get("status"))
    total = body.get("total_sessions")
    if isinstance(total, int) and total != counted:
        problems.append(f"total_sessions is {total}; the groups count {counted}")
    first, second = _status_map(before), _status_map(after)
    if not problems and first is not None and first == second and members != first:
        missing = sorted(set(first) - set(members))[:_MAX_REPORTED]
        extra = sorted(set(members) - set(first))[:_MAX_REPORTED]
        moved = sorted(k for k in set(first) & set(members) if first[k] != members[k])[:3]
        problems.append(
            f"the groups differ from GET /sessions?project_id={project}: missing {missing}, "
            f"extra {extra}, other status {moved}"
        )
    if problems:
        yield Finding.from_exchanges(
            "grouping_consistency",
            f"by-project {project!r}: " + "; ".join(problems[:_MAX_REPORTED]),
            before,
            grouped,
            after,
            operation="getSessionsByProject",
        )


def _status_map(exchange: Exchange) -> dict[str, str] | None:
    """The listed sessions' statuses, archived ones left out (by-project never has them; a
    list that shows them departs on its own account); None unless the list is whole."""
    if exchange.status != 200 or not isinstance(exchange.json, list):
        return None
    if len(exchange.json) >= _LIST_LIMIT:
        return None  # perhaps not all of the project's sessions
    return {
        str(r.get("session_id")): str(r.get("status"))
        for r in exchange.json
        if isinstance(r, dict) and r.get("status") != "archived"
    }


def _progress(session: ProbeSession, sid: str) -> Iterator[Finding]:
    query = {"session_id": sid, "limit": _LIST_LIMIT}
    before = session.call("listTasks", query=query)
    progress = session.call("getSessionTasks", path_params={"id": sid})
    after = session.call("listTasks", query=query)
    if progress.status != 200:
        return
    body = _body(progress)
    problems = _progress_problems(sid, body)
    groups = body.get("by_status") if isinstance(body.get("by_status"), dict) else {}
    members = {
        str(t.get("task_id")): str(t.get("status"))
        for group in groups.values()
        if isinstance(group, dict) and isinstance(group.get("tasks"), list)
        for t in group["tasks"]
        if isinstance(t, dict)
    }
    first = _task_map(before)
    steady = first is not None and first == _task_map(after) and len(first) < _LIST_LIMIT
    if not problems and steady and members != first:
        problems.append(f"the groups hold {members}; GET /tasks?session_id= lists {first}")
    if problems:
        yield Finding.from_exchanges(
            "grouping_consistency",
            f"task progress of {sid!r}: " + "; ".join(problems[:_MAX_REPORTED]),
            before,
            progress,
            after,
            operation="getSessionTasks",
        )


def _task_map(exchange: Exchange) -> dict[str, str] | None:
    if exchange.status != 200 or not isinstance(exchange.json, list):
        return None
    return {
        str(r.get("task_id")): str(r.get("status")) for r in exchange.json if isinstance(r, dict)
    }
