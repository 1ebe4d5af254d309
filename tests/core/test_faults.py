"""Fault rules: validation of admin bodies, precedence, counting down, listing, thread safety."""

from __future__ import annotations

import re
import threading

import pytest

from mockgate.core.faults import MAX_DELAY_MS, Fault, FaultBook

OPERATIONS = {"listSessions", "getSession", "createSession"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {"operation": "listSessions", "status": 503, "delay_ms": 200, "times": 2},
            Fault("listSessions", status=503, delay_ms=200, times=2),
            id="full",
        ),
        pytest.param({"operation": "*", "status": 500}, Fault("*", status=500), id="every-op"),
        pytest.param(
            {"operation": "getSession", "delay_ms": 250},
            Fault("getSession", delay_ms=250),
            id="delay",
        ),
        pytest.param(
            {"operation": "getSession", "status": 404, "delay_ms": 0, "times": None, "body": None},
            Fault("getSession", status=404),
            id="explicit-nulls",
        ),
        pytest.param(
            {"operation": "getSession", "status": 418, "body": {"error": "teapot"}},
            Fault("getSession", status=418, body={"error": "teapot"}),
            id="body",
        ),
        pytest.param(
            {"operation": "getSession", "delay_ms": MAX_DELAY_MS},
            Fault("getSession", delay_ms=MAX_DELAY_MS),
            id="longest-delay",
        ),
    ],
)
def test_from_json_accepts(data, expected):
    assert Fault.from_json(data, known_operations=OPERATIONS) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([], "fault: expected a JSON object, got a list", id="not-an-object"),
        pytest.param({"status": 503}, "fault.operation: required", id="no-operation"),
        pytest.param({"operation": ""}, "fault.operation: expected a non-empty string", id="empty"),
        pytest.param({"operation": 5, "status": 503}, "got 5", id="operation-number"),
        pytest.param(
            {"operation": "listSesions", "status": 503},
            "fault.operation: this API has no operation 'listSesions'; "
            "did you mean 'listSessions'? "
            "expected * or one of: createSession, getSession, listSessions",
            id="unknown-operation",
        ),
        pytest.param(
            {"operation": "x", "status": 503, "delay": 200},
            "fault.delay: unknown field; did you mean 'delay_ms'? "
            "expected operation, status, delay_ms, times, body",
            id="unknown-field",
        ),
        pytest.param(
            {"operation": "x", "status": "503"},
            "fault.status: expected an HTTP status 100-599 or null, got the string '503'",
            id="status-string",
        ),
        pytest.param({"operation": "x", "status": 99}, "got 99", id="status-low"),
        pytest.param({"operation": "x", "status": 600}, "got 600", id="status-high"),
        pytest.param({"operation": "x", "status": True}, "got true", id="status-bool"),
        pytest.param({"operation": "x", "status": 503.0}, "got 503.0", id="status-float"),
        pytest.param(
            {"operation": "x", "delay_ms": -1},
            "fault.delay_ms: expected whole milliseconds 0-60000, got -1",
            id="negative-delay",
        ),
        pytest.param({"operation": "x", "delay_ms": 60001}, "got 60001", id="long-delay"),
        pytest.param(
            {"operation": "x", "delay_ms": "250ms"}, "the string '250ms'", id="delay-text"
        ),
        pytest.param({"operation": "x", "delay_ms": None}, "got null", id="delay-null"),
        pytest.param(
            {"operation": "x", "status": 503, "times": 0},
            "fault.times: expected a count of at least 1 (or null: until cleared), got 0",
            id="times-zero",
        ),
        pytest.param({"operation": "x", "status": 503, "times": 1.5}, "got 1.5", id="times-float"),
        pytest.param(
            {"operation": "x", "status": 503, "body": "oops"},
            "fault.body: expected a JSON object or null, got the string 'oops'",
            id="body-string",
        ),
        pytest.param(
            {"operation": "x", "delay_ms": 5, "body": {}},
            "fault.body: replaces the error body, so it needs a status",
            id="body-without-status",
        ),
        pytest.param(
            {"operation": "x"},
            "fault: give a status, a delay_ms or both; this fault would do nothing",
            id="no-effect",
        ),
    ],
)
def test_from_json_rejects_with_located_messages(data, message):
    known = OPERATIONS if "listSesions" in str(data) else None
    with pytest.raises(ValueError, match=re.escape(message)):
        Fault.from_json(data, known_operations=known)


def test_from_json_reports_every_problem_at_once():
    with pytest.raises(ValueError, match=r"^fault\.delay: unknown field") as caught:
        Fault.from_json({"operation": "x", "status": 1, "delay_ms": -5, "times": 0, "delay": 1})
    fields = [problem.split(":")[0] for problem in str(caught.value).split("; fault")]
    assert fields == ["fault.delay", ".status", ".delay_ms", ".times"]


def test_star_is_always_a_known_operation():
    assert Fault.from_json({"operation": "*", "status": 500}, known_operations=OPERATIONS)


def test_body_is_copied_from_the_request():
    data = {"operation": "x", "status": 500, "body": {"error": "boom"}}
    fault = Fault.from_json(data)
    data["body"]["error"] = "changed"
    assert fault.body == {"error": "boom"}


def test_direct_construction_is_validated_too():
    with pytest.raises(ValueError, match=r"fault\.status"):
        Fault("x", status=1000)


def test_faults_are_hashable_despite_a_body():
    with_body = Fault("x", status=500, body={"a": 1})
    assert hash(with_body) == hash(Fault("x", status=500))
    assert with_body != Fault("x", status=500)


def test_take_prefers_the_operation_then_star_then_nothing():
    book = FaultBook()
    book.add(Fault("*", status=500))
    book.add(Fault("listSessions", status=503))
    assert book.take("listSessions") == Fault("listSessions", status=503)
    assert book.take("getSession") == Fault("*", status=500)


def test_take_counts_down_and_drops_used_up_faults():
    book = FaultBook()
    book.add(Fault("listSessions", status=503, times=2))
    assert book.take("listSessions") is not None
    assert book.list()[0]["remaining"] == 1
    assert book.take("listSessions") is not None
    assert book.take("listSessions") is None
    assert book.list() == []


def test_oldest_matching_fault_goes_first():
    book = FaultBook()
    book.add(Fault("x", status=500, times=1))
    book.add(Fault("x", status=503))
    assert [book.take("x").status for _ in range(3)] == [500, 503, 503]


def test_list_remove_and_clear():
    book = FaultBook()
    first = book.add(Fault("x", status=503, delay_ms=100, times=3, body={"e": 1}))
    second = book.add(Fault("*", delay_ms=50))
    assert first != second
    assert book.list() == [
        {
            "id": first,
            "operation": "x",
            "status": 503,
            "delay_ms": 100,
            "remaining": 3,
            "body": {"e": 1},
        },
        {
            "id": second,
            "operation": "*",
            "status": None,
            "delay_ms": 50,
            "remaining": None,
            "body": None,
        },
    ]
    assert book.remove(first) is True
    assert book.remove(first) is False
    assert len(book) == 1
    book.clear()
    assert len(book) == 0
    assert book.take("x") is None


def test_ids_are_not_reused_after_clear():
    book = FaultBook()
    first = book.add(Fault("x", status=500))
    book.clear()
    assert book.add(Fault("x", status=500)) != first


def test_concurrent_takes_use_a_counted_fault_exactly_its_times():
    book = FaultBook()
    book.add(Fault("x", status=503, times=500))
    taken = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            fault = book.take("x")
            with lock:
                taken.append(fault)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fault is not None for fault in taken) == 500
    assert len(book) == 0
