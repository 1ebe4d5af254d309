"""Proof for the state-tracking checks: each catches a deliberately broken variant of our mock
(with a curl reproduction), and the unmodified mock - and variants that change only what the
contract leaves open - pass each with no finding and no error."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

import mockgate.contracts.checks.state_tracking as st
from mockgate.apis.context import MockOptions
from mockgate.contracts import runner
from mockgate.contracts.pacing import Pacer
from mockgate.contracts.registry import checks_for, judge
from mockgate.mockserver.app import context_of, create_app
from mockgate.openapi.catalog import get_api
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Report
from tests.contracts import variants as v
from tests.contracts import variants_more as vm
from tests.contracts.conftest import SEED, assert_caught_alone, describe, run, virtual_pacer

API = "state-tracking"
KEY = "st_mockgate_dev_key"
RESPONSE_CHECKS = ("error_envelope", "rate_limit_headers")
LIMITED_PROBES = ("rate_limit_coverage",)  # nothing to judge unless the limits are on
PROBES = (
    "session_state_machine",
    "task_lifecycle",
    "slot_conflict",
    "slot_counts",
    "stalled_reactivation",
    "stale_consistency",
    "grouping_consistency",
)
SPEC = get_api(API)


def unpaced() -> Pacer:
    """A pacer that never waits: these runs run into the limits, to judge the 429s."""
    return Pacer(budget=0.0)


def st_app(rate_limit: str | None = "off") -> Any:
    """Our mock (responses validated against the spec); rate limits off unless asked for."""
    return create_app(API, MockOptions(seed=SEED, validate_responses=True, rate_limit=rate_limit))


@pytest.fixture
def probes_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` without the schemathesis phase: the probes drive their own requests."""
    monkeypatch.setattr(runner, "run_conformance", lambda *args, **kwargs: None)


# --- the variants each check must catch ------------------------------------------------------


def _heartbeat_body(request: v.Request) -> dict[str, Any]:
    sid = request.path.split("/")[2]
    stamp = "2026-01-19T12:00:15.000Z"
    return {"session_id": sid, "status": "active", "last_heartbeat": stamp, "message": "ok"}


def _completed_task(request: v.Request) -> dict[str, Any]:
    tid = request.path.split("/")[2]
    return {"task_id": tid, "status": "completed", "completed_at": "2026-01-19T12:00:15.000Z"}


def _reassigned(request: v.Request) -> dict[str, Any]:
    return {"machine_id": request.path.split("/")[2], "assigned_sessions": {}}


def _paused_as_active(app: Any) -> v.Mutation:
    paused = next(s for s in context_of(app).store.values("sessions") if s["status"] == "paused")
    summary = {k: paused[k] for k in ("session_id", "project_id", "machine_id", "started_at")}
    return vm.add_to_active_list(
        {**summary, "status": "active", "current_task_id": paused["current_task_id"]}
    )


def _stale_but_recent(body: Any) -> Any:
    for entry in body:
        entry["seconds_since_heartbeat"] = 12
    return body


def _progress_off(body: Any) -> Any:
    body["completed_tasks"] += 1
    return body


def _completion_off(body: Any) -> Any:
    """The real server's `stats.completion_percentage` as `Math.round(completed / total)`: a
    fraction rounded, the `* 100` forgotten."""
    stats = body.get("stats")
    if isinstance(stats, dict) and stats.get("total"):
        stats["completion_percentage"] = math.floor(stats["completed"] / stats["total"] + 0.5)
    return body


def _one_slot_more(entry: dict[str, Any]) -> None:
    entry["available_slots"] += 1


def _another_machine_size(entry: dict[str, Any]) -> None:
    """Consistent in itself (free + occupied = total), but not the machine GET /machines lists."""
    entry["total_slots"] += 1
    entry["available_slots"] += 1
    entry["available_slot_numbers"] = [*entry.get("available_slot_numbers", []), 99]


def _on_errors(request: v.Request, response: v.Response) -> bool:
    return 400 <= response.status < 500 and response.status != 429


def _on_tasks_and_machines(request: v.Request, response: v.Response) -> bool:
    return request.path.startswith(("/tasks", "/machines"))


@dataclass(frozen=True)
class Case:
    id: str
    catches: str
    mutations: Callable[[Any], tuple[v.Mutation, ...]]  # from the mock app; fresh per run
    rate_limit: str | None = "off"
    read_only: bool = True

    def __str__(self) -> str:
        return self.id

    @property
    def probe(self) -> bool:
        return self.catches not in RESPONSE_CHECKS


CASES = [
    Case(
        "nest-default-404-body",
        "error_envelope",
        lambda app: (vm.nest_default_envelope(404),),
    ),
    Case(
        "validation-400-without-details",
        "error_envelope",
        lambda app: (vm.drop_validation_details(),),
    ),
    Case(
        "error-path-not-the-request-path",
        "error_envelope",
        lambda app: (vm.set_field("listSessions", ("path",), "/api/v2/sessions", status=400),),
    ),
    Case(
        "remaining-header-missing",
        "rate_limit_headers",
        lambda app: (vm.drop_header("X-RateLimit-Remaining"),),
        rate_limit=None,
    ),
    Case(
        "429-without-retry-after",
        "rate_limit_headers",
        lambda app: (vm.drop_header("Retry-After", status=429),),
        rate_limit=None,
    ),
    Case(
        "reset-as-seconds-not-unix-time",
        "rate_limit_headers",
        lambda app: (vm.rate_limit_reset_as_delta(),),
        rate_limit=None,
    ),
    Case(
        "429-without-rate-limit-headers",
        "rate_limit_headers",
        lambda app: (vm.drop_rate_limit_headers(lambda r, resp: True, "anywhere"),),
        rate_limit=None,
    ),
    Case(
        "rate-limit-headers-missing-on-errors",
        "rate_limit_coverage",
        lambda app: (vm.drop_rate_limit_headers(_on_errors, "on errors"),),
        rate_limit=None,
    ),
    Case(
        "rate-limit-headers-missing-on-some-routes",
        "rate_limit_coverage",
        lambda app: (vm.drop_rate_limit_headers(_on_tasks_and_machines, "on /tasks, /machines"),),
        rate_limit=None,
    ),
    Case(
        "heartbeat-of-finished-session-accepted",
        "session_state_machine",
        lambda app: (vm.accept_on_state_rule("sessionHeartbeat", _heartbeat_body),),
        read_only=False,
    ),
    Case(
        "immutable-field-updated",
        "session_state_machine",
        lambda app: (vm.accept_on_state_rule("updateSession", lambda r: {}),),
        read_only=False,
    ),
    Case(
        "mark-stalled-answers-active",
        "session_state_machine",
        lambda app: (vm.set_field("markSessionStalled", ("status",), "active"),),
        read_only=False,
    ),
    Case(
        "release-keeps-the-slot",
        "slot_conflict",
        lambda app: (vm.release_does_nothing(),),
        read_only=False,
    ),
    Case(
        "failed-task-completed",
        "task_lifecycle",
        lambda app: (vm.accept_on_state_rule("completeTask", _completed_task),),
        read_only=False,
    ),
    Case(
        "purge-miscounts-deleted-tasks",
        "task_lifecycle",
        lambda app: (vm.set_field("purgeSession", ("tasks_deleted",), 0),),
        read_only=False,
    ),
    Case(
        "occupied-slot-reassigned",
        "slot_conflict",
        lambda app: (
            v.Mutation(
                "409 becomes 200",
                frozenset({"assignSessionToMachine"}),
                response=lambda r, resp: _conflict_to_ok(r, resp),
            ),
        ),
        read_only=False,
    ),
    Case(
        "available-slots-one-too-many",
        "slot_counts",
        lambda app: (vm.available_counts_off(_one_slot_more),),
    ),
    Case(
        "available-entry-of-another-machine-size",
        "slot_counts",
        lambda app: (vm.available_counts_off(_another_machine_size),),
    ),
    Case(
        "machine-active-sessions-not-its-slots",
        "slot_counts",
        lambda app: (vm.active_sessions_off(),),
    ),
    Case(
        "heartbeat-keeps-stalled",
        "stalled_reactivation",
        lambda app: (vm.set_field("sessionHeartbeat", ("status",), "stalled"),),
        read_only=False,
    ),
    Case(
        "stale-entry-under-threshold",
        "stale_consistency",
        lambda app: (vm.edit_json("findStaleSessions", _stale_but_recent),),
    ),
    Case(
        "paused-session-in-active-list",
        "stale_consistency",
        lambda app: (_paused_as_active(app),),
    ),
    Case(
        "by-project-total-off",
        "grouping_consistency",
        lambda app: (
            vm.edit_json(
                "getSessionsByProject", lambda b: {**b, "total_sessions": b["total_sessions"] + 1}
            ),
        ),
    ),
    Case(
        "by-project-session-left-out",
        "grouping_consistency",
        lambda app: (vm.drop_from_project_group(),),
    ),
    Case(
        "progress-completed-count-off",
        "grouping_consistency",
        lambda app: (vm.edit_json("getSessionTasks", _progress_off),),
    ),
    Case(
        "progress-completion-percentage-off",
        "grouping_consistency",
        lambda app: (vm.edit_json("getSessionTasks", _completion_off),),
    ),
]


def _conflict_to_ok(request: v.Request, response: v.Response) -> v.Response:
    if response.status == 409:
        response.status = 200
        response.json = _reassigned(request)
    return response


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_check_catches_the_broken_variant(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    if case.probe:
        monkeypatch.setattr(runner, "run_conformance", lambda *args, **kwargs: None)
    app = st_app(case.rate_limit)
    variant = v.Variant(app, API, *case.mutations(app))
    report = run(
        API,
        variant,
        (KEY,),
        [case.catches],
        probes=case.probe,
        read_only=case.read_only,
        pacer=None if case.probe else unpaced(),
    )
    assert_caught_alone(report, case.catches, variant)
    assert not report.errors, report.errors


def test_every_check_has_a_variant_it_must_catch() -> None:
    """Every check of the package's modules, in registration order (the order of reports)."""
    ours = [
        c.name for c in checks_for(API) if c.function.__module__.rpartition(".")[0] == st.__name__
    ]
    assert ours == [*RESPONSE_CHECKS, *LIMITED_PROBES, *PROBES]
    assert set(ours) <= {case.catches for case in CASES}


# --- the unmodified mock passes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def response_runs() -> dict[str, tuple[Report, Counter[tuple[str | None, int]]]]:
    """Our mock under schemathesis with the response checks: limits off (reads and writes), and
    the documented limits on (reads only, enough requests to exhaust them)."""
    runs = {}
    for label, rate_limit, read_only in (("limits-off", "off", False), ("limits-on", None, True)):
        seen: list[tuple[str | None, int]] = []
        variant = v.Variant(st_app(rate_limit), API, vm.recorder(seen))
        report = run(
            API,
            variant,
            (KEY,),
            RESPONSE_CHECKS,
            probes=False,
            read_only=read_only,
            pacer=unpaced(),
        )
        runs[label] = (report, Counter(seen))
    return runs


@pytest.mark.parametrize("label", ["limits-off", "limits-on"], ids=["limits-off", "limits-on"])
@pytest.mark.parametrize("check", RESPONSE_CHECKS, ids=list(RESPONSE_CHECKS))
def test_the_unmodified_mock_passes_the_response_check(response_runs, check, label) -> None:
    report, _ = response_runs[label]
    assert not [f for f in report.findings if f.check == check], describe(report.findings)
    assert not report.errors, report.errors
    judged = sum(n for (_, name), n in report.passed.items() if name == check)
    if (check, label) == ("rate_limit_headers", "limits-off"):
        assert judged == 0, "with limits off there are no rate-limit headers to judge"
    else:
        assert judged >= 100, f"{check} judged only {judged} answers"


def test_the_runs_judged_errors_and_rate_limits(response_runs) -> None:
    """Not vacuous: the runs above provoke the answers the response checks are about."""
    off, on = (_statuses(response_runs[label][1]) for label in ("limits-off", "limits-on"))
    assert all(off[status] >= 1 for status in (400, 401, 404, 405, 409)), off
    assert on[429] >= 10, on
    assert on[200] >= 10, on


def _statuses(seen: Counter[tuple[str | None, int]]) -> Counter[int]:
    found: Counter[int] = Counter()
    for (_, status), count in seen.items():
        found[status] += count
    return found


WRITING = ("session_state_machine", "task_lifecycle", "slot_conflict", "stalled_reactivation")


@pytest.fixture(scope="module")
def probe_run() -> tuple[Report, set[str], set[str]]:
    """Every probe on our mock: the report, and the session ids before and after."""
    app = st_app()
    before = {s["session_id"] for s in context_of(app).store.values("sessions")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "run_conformance", lambda *args, **kwargs: None)
        report = run(API, app, (KEY,), PROBES)
    after = {s["session_id"] for s in context_of(app).store.values("sessions")}
    return report, before, after


@pytest.mark.parametrize("check", PROBES, ids=list(PROBES))
def test_the_unmodified_mock_passes_the_probe(probe_run, check: str) -> None:
    report, _, _ = probe_run
    assert not [f for f in report.findings if f.check == check], describe(report.findings)
    assert not report.errors, report.errors
    assert not report.skipped, report.skipped
    assert any(name == check for _, name in report.passed), f"{check} never ran"


def test_the_writing_probes_leave_no_session_behind(probe_run) -> None:
    _, before, after = probe_run
    assert after == before


@pytest.mark.parametrize("read_only", [False, True], ids=["with-heartbeats", "read-only"])
def test_the_unmodified_mock_passes_rate_limit_coverage(probes_only: None, read_only: bool) -> None:
    """With the documented limits on, every rate-limited route the probe reads (and, unless
    read-only, both heartbeat routes) answers with the headers, 404s and 400s included."""
    seen: list[tuple[str | None, int]] = []
    app = v.Variant(st_app(None), API, vm.recorder(seen))
    report = run(API, app, (KEY,), LIMITED_PROBES, read_only=read_only)
    assert report.ok, f"{describe(report.findings)}\n{report.errors}"
    judged = {op for op, name in report.passed if name == "rate_limit_coverage"}
    assert len(judged) >= 11, judged
    assert ("sessionHeartbeat" in judged) is not read_only, judged
    assert {status for _, status in seen} >= {200, 404}, seen


def test_with_limits_off_rate_limit_coverage_has_nothing_to_judge(probes_only: None) -> None:
    report = run(API, st_app("off"), (KEY,), LIMITED_PROBES)
    assert report.ok, describe(report.findings)
    assert not [name for _, name in report.passed if name == "rate_limit_coverage"]


def test_read_only_mode_skips_the_writing_probes(probes_only: None) -> None:
    report = run(API, st_app(), (KEY,), PROBES, read_only=True)
    assert report.ok, describe(report.findings)
    assert {line.split(":")[0] for line in report.skipped} == set(WRITING)
    assert {"stale_consistency", "grouping_consistency"} <= {name for _, name in report.passed}


def test_a_read_only_key_skips_the_writing_probes(probes_only: None) -> None:
    """A key that may only read gets 403 on writes: nothing to judge, not a finding."""
    app = create_app(API, MockOptions(seed=SEED, api_keys=("readonly:ro-key",), rate_limit="off"))
    report = run(API, app, ("ro-key",), PROBES)
    assert report.ok, describe(report.findings)
    assert {line.split(":")[0] for line in report.skipped} == set(WRITING)
    assert all("403" in line for line in report.skipped), report.skipped


def test_the_probes_pass_after_the_clock_moved_on(probes_only: None) -> None:
    """Sessions stall and machines go offline as time passes; the probes still pass."""
    app = st_app()
    context_of(app).clock.advance(timedelta(minutes=20))
    report = run(API, app, (KEY,), PROBES)
    assert report.ok, f"{describe(report.findings)}\n{report.errors}"


# --- what the contract leaves open is never reported ------------------------------------------


def _path_with_query(request: v.Request, response: v.Response) -> v.Response:
    """The error's `path` as NestJS's `request.url` gives it: with the query string."""
    body = response.json
    if response.status >= 400 and isinstance(body, dict) and request.query:
        body["path"] = request.path + "?" + "&".join(f"{k}={val}" for k, val in request.query)
        response.json = body
    return response


def _increased_limit(request: v.Request, response: v.Response) -> v.Response:
    """A key with increased limits ("request increased limits"): Limit 1000."""
    if any(k == "x-ratelimit-limit" for k, _ in response.headers):
        response.set_header("x-ratelimit-limit", "1000")
    return response


def test_a_task_start_need_not_set_the_current_task(probes_only: None) -> None:
    """The document's clients set `current_task_id` with PUT; start need not set it."""
    never_set = vm.set_field("getSession", ("current_task_id",), None)
    report = run(API, v.Variant(st_app(), API, never_set), (KEY,), ["task_lifecycle"])
    assert report.ok, describe(report.findings)
    assert any(name == "task_lifecycle" for _, name in report.passed)


def test_what_the_contract_leaves_open_is_never_reported() -> None:
    allowed = (
        v.Mutation("path with the query string", response=_path_with_query),
        v.Mutation("increased limit", response=_increased_limit),
    )
    app = st_app(None)
    report = run(
        API,
        v.Variant(app, API, *allowed),
        (KEY,),
        RESPONSE_CHECKS,
        probes=False,
        read_only=True,
        pacer=virtual_pacer(app),
    )
    assert report.ok, f"{describe(report.findings)}\nerrors: {report.errors}"
    assert set(RESPONSE_CHECKS) <= {name for _, name in report.passed}


# --- the rules on hand-made answers ---------------------------------------------------------


def _answer(
    operation: str,
    status: int,
    body: Any,
    *,
    url: str = "http://st.example/sessions",
    headers: dict[str, str] | None = None,
) -> Exchange:
    op = next(o for o in SPEC.operations if o.operation_id == operation)
    return Exchange(
        operation_id=operation,
        method=op.method,
        path=op.path,
        url=url,
        status=status,
        response_headers={"content-type": "application/json", **(headers or {})},
        content=json.dumps(body).encode(),
    )


def _envelope(status: int, code: str, path: str = "/sessions", **extra: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "error": code,
        "message": "m",
        "request_id": "req-1",
        "timestamp": "2026-01-19T12:00:00.000Z",
        "path": path,
        **extra,
    }


def _problems(check: Callable[..., Iterator[str]], exchange: Exchange) -> list[str]:
    """What ``check`` finds wrong (nothing, too, where it had nothing to judge)."""
    return judge(check, exchange, SPEC) or []


@pytest.mark.parametrize(
    ("url", "path", "ok"),
    [
        ("http://h/sessions/abc-123", "/sessions/abc-123", True),
        ("http://h/sessions/abc%20123", "/sessions/abc 123", True),
        ("http://h/sessions/abc-123?x=1", "/sessions/abc-123?x=1", True),
        ("http://h/st/sessions/abc-123", "/sessions/abc-123", True),  # a proxy strips /st
        ("http://h/sessions/abc-123", "/sessions", False),
        ("http://h/sessions/abc-123", "/sessions/other", False),
        ("http://h/st/sessions/abc-123", "/st", False),
    ],
    ids=["same", "decoded", "with-query", "proxy-prefix", "list-path", "other-id", "prefix-only"],
)
def test_error_envelope_path_rule(url: str, path: str, ok: bool) -> None:
    body = _envelope(404, "not_found", path)
    problems = _problems(st.error_envelope, _answer("getSession", 404, body, url=url))
    assert (problems == []) is ok, problems


def test_error_envelope_codes_details_and_request_id() -> None:
    assert (
        _problems(st.error_envelope, _answer("listSessions", 404, _envelope(404, "not_found")))
        == []
    )
    wrong_code = _answer(
        "listSessions", 400, _envelope(400, "bad_request", details=["limit must be a number"])
    )
    assert any("'validation_error'" in p for p in _problems(st.error_envelope, wrong_code))
    # A state-rule 400 (InvalidState) may leave `details` out; an input one (BadRequest) not.
    state = _answer(
        "sessionHeartbeat",
        400,
        _envelope(400, "validation_error", "/sessions/x/heartbeat"),
        url="http://h/sessions/x/heartbeat",
    )
    assert _problems(st.error_envelope, state) == []
    bad_input = _answer("listSessions", 400, _envelope(400, "validation_error"))
    assert any("no details" in p for p in _problems(st.error_envelope, bad_input))
    # A status the table does not list: any code; statusCode must still match.
    teapot = _answer("listSessions", 418, _envelope(418, "teapot"))
    assert _problems(st.error_envelope, teapot) == []
    echoed = _answer(
        "listSessions", 429, _envelope(429, "rate_limit_exceeded"), headers={"x-request-id": "r2"}
    )
    assert any("X-Request-Id" in p for p in _problems(st.error_envelope, echoed))
    # The readiness probe's own 503 body is not the envelope, and is not judged as one.
    ready = _answer("getReadiness", 503, {"ready": False, "timestamp": "x", "database": "down"})
    assert _problems(st.error_envelope, ready) == []


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "59"}, "come all three"),
        (
            {
                "x-ratelimit-limit": "0",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "1800000000",
            },
            "at least one",
        ),
        (
            {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "61",
                "x-ratelimit-reset": "1800000000",
            },
            "more than",
        ),
        (
            {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "1",
                "x-ratelimit-reset": "1800000000000",
            },
            "not a Unix time",
        ),
        (
            {
                "x-ratelimit-limit": "60, 60",
                "x-ratelimit-remaining": "1",
                "x-ratelimit-reset": "1800000000",
            },
            "not an integer",
        ),
        (
            {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "1",
                "x-ratelimit-reset": "1799999000",
                "date": "Fri, 15 Jan 2027 08:00:00 GMT",
            },
            "before the response's Date",
        ),
        (
            {
                "x-ratelimit-limit": "60",
                "x-ratelimit-remaining": "1",
                "x-ratelimit-reset": "1900000000",
                "date": "Fri, 15 Jan 2027 08:00:00 GMT",
            },
            "longest documented window",
        ),
    ],
    ids=[
        "two-of-three",
        "zero-limit",
        "remaining-above-limit",
        "milliseconds",
        "doubled",
        "past",
        "far-future",
    ],
)
def test_rate_limit_header_rules(headers: dict[str, str], fragment: str) -> None:
    exchange = _answer("listSessions", 200, [], headers=headers)
    problems = _problems(st.rate_limit_headers, exchange)
    assert any(fragment in p for p in problems), problems


def test_rate_limit_headers_allowed() -> None:
    date = "Fri, 15 Jan 2027 08:00:00 GMT"
    now = int(parsedate_to_datetime(date).timestamp())
    # A stricter deployment (5/min) whose hourly window is exhausted: Reset an hour ahead.
    fine = {
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(now + 3600),
        "date": date,
    }
    assert _problems(st.rate_limit_headers, _answer("listSessions", 200, [], headers=fine)) == []
    # No headers at all (limits off), and unlimited operations, are not judged.
    assert judge(st.rate_limit_headers, _answer("listSessions", 200, []), SPEC) is None
    health = _answer("getHealth", 200, {}, headers={"x-ratelimit-limit": "x"})
    assert judge(st.rate_limit_headers, health, SPEC) is None
    # A 429 as "When Rate Limited" shows it (Retry-After and Reset), and with all four.
    reset = {"x-ratelimit-reset": str(now + 23), "date": date}
    documented = _answer(
        "listSessions",
        429,
        _envelope(429, "rate_limit_exceeded"),
        headers={"retry-after": "0", **reset},
    )
    assert _problems(st.rate_limit_headers, documented) == []
    full = {**fine, "x-ratelimit-reset": str(now + 23), "retry-after": "23"}
    every = _answer("listSessions", 429, _envelope(429, "rate_limit_exceeded"), headers=full)
    assert _problems(st.rate_limit_headers, every) == []
    as_date = _answer(
        "listSessions", 429, _envelope(429, "rate_limit_exceeded"), headers={"retry-after": date}
    )
    assert any("whole number" in p for p in _problems(st.rate_limit_headers, as_date))


@pytest.mark.parametrize(
    ("headers", "problems"),
    [
        ({}, ["a 429 without Retry-After", "a 429 without X-RateLimit-Reset"]),
        ({"retry-after": "3"}, ["a 429 without X-RateLimit-Reset"]),
        (
            {"retry-after": "3", "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0"},
            ["a 429 without X-RateLimit-Reset", "sent without X-RateLimit-Reset"],
        ),
    ],
    ids=["bare", "retry-after-only", "without-reset"],
)
def test_a_429_shows_the_limiter_is_on(headers: dict[str, str], problems: list[str]) -> None:
    """A 429 of a rate-limited operation cannot come from a server with limits off: its
    rate-limit headers are due (at least Reset, which both documented 429s carry)."""
    answer = _answer("listSessions", 429, _envelope(429, "rate_limit_exceeded"), headers=headers)
    found = _problems(st.rate_limit_headers, answer)
    assert len(found) == len(problems), found
    assert all(wanted in got for wanted, got in zip(problems, found, strict=True)), found


def test_the_slot_probe_uses_only_machines_it_can_address() -> None:
    """A fuzzed machine id with a `/` (or outside URL path characters) is passed over: whether
    a server routes `%2F` is not the contract's business, so it must not become a finding."""
    from mockgate.contracts.checks.state_tracking.slots import _free_slot

    free = {"docker_slots": [1], "assigned_sessions": {}, "status": "online"}
    machines = [
        {**free, "machine_id": "rack//\u00c4"},
        {**free, "machine_id": "a b"},
        {
            "machine_id": "box-1",
            "status": "offline",
            "docker_slots": [1, 2],
            "assigned_sessions": {"1": "s"},
        },
    ]
    assert _free_slot(machines) == ("box-1", 2, [1, 2])
