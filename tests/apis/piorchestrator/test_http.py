"""The session list, evidence and pair through HTTP: envelopes, headers, limits, counters,
statuses, the documents' own records."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import yaml

from mockgate.apis.datasets import DatasetError
from tests.apis.piorchestrator.expect import (
    LIST,
    all_captures,
    decode,
    doc_example,
    error,
    evidence,
    nulls,
    ok,
    pair,
    sessions,
)

KEY_LAYOUT = re.compile(
    r"evidence/(?P<container>[^/]+)/(?P<session>[^/]+)/(?P<tag>[A-Z_]+)_"
    r"(?P<taken>\d{8}T\d{6})_(?P<prefix>[0-9a-f-]{8})\.jpg"
)


def _by_status(client):
    grouped: dict[str, list[dict]] = {}
    for session in sessions(client, limit=100):
        grouped.setdefault(session["status"], []).append(session)
    return grouped


# --- envelopes and headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param(LIST, 200, id="diagnostics-list"),
        pytest.param("/api/v1/sessions", 200, id="sessions-list"),
        pytest.param(LIST + "?limit=abc", 400, id="bad-limit"),
        pytest.param("/api/v1/sessions/sess-nope/evidence", 404, id="evidence-unknown"),
        pytest.param("/api/v1/sessions/sess-nope/evidence/pair", 404, id="pair-unknown"),
        pytest.param("/api/v1/evidence/image?key=nope.jpg", 404, id="image-unknown"),
        pytest.param("/api/v1/evidence/image?key=../x", 400, id="image-malformed"),
    ],
)
def test_every_json_response_is_an_envelope_with_json_type_and_request_id(demo, path, status):
    response = demo.get(path)
    if status == 200:
        ok(response)
    else:
        body = error(response, status)
        assert body["code"] == {400: "BAD_REQUEST", 404: "NOT_FOUND"}[status]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timestamp"])


def test_a_bad_limit_names_the_parameter(demo):
    body = error(demo.get(LIST, params={"limit": "ten"}), 400)
    assert body["details"]["parameter"] == "limit"


def test_the_inferred_sessions_route_serves_the_same_list(demo):
    for params in ({}, {"limit": 3}):
        assert ok(demo.get("/api/v1/sessions", params=params)) == ok(demo.get(LIST, params=params))


def test_success_bodies_never_hold_null_outside_the_pair_slots(demo):
    bodies = [demo.get(LIST).json()]
    for session in sessions(demo, limit=100):
        sid = session["session_id"]
        bodies.append(demo.get(f"/api/v1/sessions/{sid}/evidence").json())
        bodies.append(demo.get(f"/api/v1/sessions/{sid}/evidence/pair").json())
    assert [path for body in bodies for path in nulls(body)] == []


# --- the session list ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "shown"),
    [
        pytest.param(None, 50, id="default-50"),
        pytest.param(1, 1, id="one"),
        pytest.param(0, 1, id="zero-clamped-to-1"),
        pytest.param(-7, 1, id="negative-clamped-to-1"),
        pytest.param(100, 100, id="max"),
        pytest.param(101, 100, id="101-clamped-to-100"),
        pytest.param(10**12, 100, id="huge-clamped-to-100"),
    ],
)
def test_limit_defaults_to_50_and_is_clamped_into_1_to_100(pi, limit, shown):
    client = pi()
    client.ctx.clock.advance(timedelta(hours=8))  # the live demo has started 100+ more sessions
    params = {} if limit is None else {"limit": limit}
    data = ok(client.get(LIST, params=params))
    assert data["total"] > 100
    assert len(data["sessions"]) == shown
    everything = ok(client.get(LIST, params={"limit": 100}))["sessions"]
    assert data["sessions"] == everything[:shown]  # newest first, the same order every time


def test_the_list_has_total_and_queried_at_from_the_clock(demo):
    data = ok(demo.get(LIST))
    assert data["total"] == len(data["sessions"]) == 26
    assert data["queried_at"] == "2026-01-19T12:00:00Z"
    started = [s["started_at"] for s in data["sessions"]]
    assert started == sorted(started, reverse=True)


def test_the_demo_has_every_status_the_dashboard_groups(demo):
    grouped = _by_status(demo)
    assert set(grouped) == {"active", "complete", "partial", "failed"}
    assert len(grouped["active"]) == 6
    assert len(grouped["failed"]) >= 2


def test_counters_are_integers_derived_from_the_captures(demo):
    for session in sessions(demo, limit=100):
        data = evidence(demo, session["session_id"])
        captures = data["captures"]
        good = [c for c in captures if c["status"] == "captured"]
        tags = {c["capture_tag"] for c in good}
        expected = {
            "total_captures": len(captures),
            "successful_captures": len(good),
            "failed_captures": len(captures) - len(good),
            "has_before_open": "BEFORE_OPEN" in tags,
            "has_after_close": "AFTER_CLOSE" in tags,
            "pair_complete": {"BEFORE_OPEN", "AFTER_CLOSE"} <= tags,
        }
        assert data["summary"] == expected
        assert {k: session[k] for k in expected} == expected
        assert all(type(session[k]) is int for k in expected if k.endswith("captures"))
        assert type(session["elapsed_seconds"]) is int


def test_status_matches_the_captures(demo):
    for session in sessions(demo, limit=100):
        status = session["status"]
        if status == "complete":
            assert session["pair_complete"]
        elif status == "partial":
            assert session["has_before_open"]
            assert not session["has_after_close"]
            assert session["failed_captures"] >= 1
        elif status == "failed":
            assert not session["has_before_open"]
            assert session["failed_captures"] >= 1


def test_last_error_appears_on_failed_sessions_only(demo):
    for session in sessions(demo, limit=100):
        if session["status"] != "failed":
            assert "last_error" not in session
            continue
        error_ = session["last_error"]
        assert set(error_) == {
            "phase",
            "failure_reason",
            "device_id",
            "occurred_at",
            "correlation_id",
        }
        assert error_["phase"] == "BEFORE_OPEN"
        assert error_["correlation_id"].startswith("corr-")
        last = evidence(demo, session["session_id"])["captures"][-1]
        assert (error_["failure_reason"], error_["occurred_at"], error_["device_id"]) == (
            last["failure_reason"],
            last["created_at"],
            last["device_id"],
        )


def test_elapsed_seconds_runs_with_the_clock_until_the_session_ends(demo):
    before = {s["session_id"]: s for s in sessions(demo, limit=100)}
    demo.ctx.clock.advance(timedelta(seconds=1))
    after = {s["session_id"]: s for s in sessions(demo, limit=100)}
    for sid, session in before.items():
        moved = after[sid]["elapsed_seconds"] - session["elapsed_seconds"]
        assert moved == (1 if after[sid]["status"] == "active" else 0), sid


# --- evidence and pair ---------------------------------------------------------------------


def test_unknown_sessions_are_404_in_the_envelope(demo):
    for path in ("/evidence", "/evidence/pair"):
        body = error(demo.get(f"/api/v1/sessions/sess-unknown{path}"), 404)
        assert body["error"] == "session not found: sess-unknown"


def test_captures_carry_what_the_dashboard_needs(demo):
    captures = all_captures(demo)
    assert {c["status"] for c in captures} == {"captured", "timeout", "failed"}
    for capture in captures:
        assert capture["created_at"].endswith("Z")
        if capture["status"] != "captured":
            assert capture["failure_reason"]
            assert not {"image_data", "object_key", "image_size_bytes"} & capture.keys()
            continue
        assert capture["content_type"] == "image/jpeg"
        assert 10_000 < capture["image_size_bytes"] < 5 * 1024 * 1024
        if "object_key" in capture:
            parts = KEY_LAYOUT.fullmatch(capture["object_key"]).groupdict()
            taken = re.sub(r"[-:Z]", "", capture["created_at"])
            assert parts == {
                "container": capture["container_id"],
                "session": capture["session_id"],
                "tag": capture["capture_tag"],
                "taken": taken,
                "prefix": capture["evidence_id"][:8],
            }
            assert capture["upload_status"] in ("uploaded", "unverified", "failed")
            assert ("upload_error" in capture) == (capture["upload_status"] == "failed")


def test_a_complete_pair_holds_full_capture_objects(demo):
    session = _by_status(demo)["complete"][0]
    data = pair(demo, session["session_id"])
    assert (data["contract_version"], data["pair_status"]) == ("v1", "complete")
    assert "retry_after_seconds" not in data
    listed = {c["evidence_id"]: c for c in evidence(demo, session["session_id"])["captures"]}
    for slot, tag in (("before", "BEFORE_OPEN"), ("after", "AFTER_CLOSE")):
        capture = data[slot]
        assert capture["capture_tag"] == tag
        assert capture["captured_at"] == capture["created_at"]
        assert "missing_reason" not in capture
        same = {k: v for k, v in capture.items() if k != "captured_at"}
        assert same == listed[capture["evidence_id"]]


def test_an_active_sessions_pair_is_incomplete_and_says_when_to_retry(demo):
    waiting = [
        s for s in _by_status(demo)["active"] if s["has_before_open"] and not s["has_after_close"]
    ]
    assert waiting
    for session in waiting:
        data = pair(demo, session["session_id"])
        assert data["pair_status"] == "incomplete"
        assert data["after"] is None
        assert data["before"]["missing_reason"] == "SESSION_IN_PROGRESS"
        assert type(data["retry_after_seconds"]) is int
        assert data["retry_after_seconds"] >= 1


def test_a_fresh_sessions_pair_is_missing_with_a_retry(demo):
    fresh = [s for s in _by_status(demo)["active"] if s["total_captures"] == 0]
    assert fresh
    data = pair(demo, fresh[0]["session_id"])
    assert (data["pair_status"], data["before"], data["after"]) == ("missing", None, None)
    assert data["retry_after_seconds"] >= 1


def test_ended_sessions_say_why_the_pair_is_incomplete_without_a_retry(demo):
    grouped = _by_status(demo)
    partial = pair(demo, grouped["partial"][0]["session_id"])
    assert partial["pair_status"] == "incomplete"
    assert partial["before"]["missing_reason"] == "CAPTURE_FAILED"
    assert "retry_after_seconds" not in partial
    failed = pair(demo, grouped["failed"][0]["session_id"])
    assert (failed["pair_status"], failed["before"], failed["after"]) == ("missing", None, None)
    assert "retry_after_seconds" not in failed


# --- the documents' records ----------------------------------------------------------------


def test_the_docs_dataset_lists_the_documented_sessions_verbatim(docs):
    # Newest first (the order is not documented; the example happens to list oldest first).
    body = docs.get(LIST).json()
    documented = doc_example("list-diagnostic-sessions-200")
    documented["data"]["sessions"].reverse()
    assert body == documented


def test_the_docs_dataset_serves_the_documented_captures(docs):
    documented = doc_example("get-session-evidence-200")["data"]["captures"]
    data = evidence(docs, "sess-abc123")
    assert [c["capture_tag"] for c in data["captures"]] == [
        "BEFORE_OPEN",
        "AFTER_OPEN",
        "BEFORE_CLOSE",
        "AFTER_CLOSE",
    ]
    before_open, after_close = documented
    served = {c["evidence_id"]: c for c in data["captures"]}
    # Still in memory: inline, a real JPEG where the document shows a truncated placeholder.
    got = served[before_open["evidence_id"]]
    assert got.keys() == before_open.keys()
    assert {k: v for k, v in got.items() if k != "image_data"} == {
        k: v for k, v in before_open.items() if k != "image_data"
    }
    decode(got["image_data"])
    # Uploaded and cleared from memory: object store only, exactly as the document shows it.
    assert served[after_close["evidence_id"]] == after_close


def test_the_docs_dataset_pair_is_the_documented_pair(docs):
    documented = doc_example("get-session-evidence-pair-200")["data"]
    data = pair(docs, "sess-abc123")
    for slot in ("before", "after"):
        expected = {k: v for k, v in documented[slot].items() if k != "image_data"}
        got = {k: v for k, v in data[slot].items() if k not in ("image_data", "created_at")}
        assert got == expected
        assert ("image_data" in data[slot]) is ("image_data" in documented[slot]), slot
    rest = {k: v for k, v in documented.items() if k not in ("before", "after")}
    assert {k: v for k, v in data.items() if k not in ("before", "after")} == rest


def test_the_docs_failed_session_has_the_documented_last_error_and_no_pair(docs):
    data = pair(docs, "sess-def456")
    assert (data["pair_status"], data["before"], data["after"]) == ("missing", None, None)
    captures = evidence(docs, "sess-def456")["captures"]
    assert [(c["status"], c["failure_reason"]) for c in captures] == [
        ("failed", "Camera returned HTTP 500"),
        ("timeout", "Camera timeout after 30s"),
    ]


def test_the_empty_dataset_has_no_sessions(pi):
    data = ok(pi(dataset="empty").get(LIST))
    assert (data["sessions"], data["total"]) == ([], 0)


def _dataset_file(tmp_path, capture_status):
    session = {
        "session_id": "sess-mine01",
        "container_id": "ctr-042",
        "device_id": "espcam-00ff00",
        "started_at": "2026-01-19T11:00:00Z",
        "status": "partial",
        "ended_at": "2026-01-19T11:03:00Z",
    }
    capture = {
        "evidence_id": "0194d3f0-0000-7000-8000-000000000001",
        "capture_tag": "BEFORE_OPEN",
        "status": capture_status,
        "device_id": "espcam-00ff00",
        "container_id": "ctr-042",
        "session_id": "sess-mine01",
        "created_at": "2026-01-19T11:00:10Z",
        "content_type": "image/jpeg",
        "object_key": "evidence/ctr-042/sess-mine01/BEFORE_OPEN_20260119T110010_0194d3f0.jpg",
        "upload_status": "uploaded",
    }
    path = tmp_path / "piorchestrator.yaml"
    path.write_text(
        yaml.safe_dump(
            {"sessions": {"sess-mine01": session}, "captures": {capture["evidence_id"]: capture}}
        )
    )
    return str(path)


def test_a_dataset_file_is_served_with_rendered_images(pi, tmp_path):
    client = pi(dataset=_dataset_file(tmp_path, "captured"))
    (session,) = sessions(client)
    assert (session["status"], session["successful_captures"]) == ("partial", 1)
    (capture,) = evidence(client, "sess-mine01")["captures"]
    assert len(base64.b64decode(capture["image_data"])) == capture["image_size_bytes"]
    assert pair(client, "sess-mine01")["before"]["missing_reason"] == "CAPTURE_NOT_TAKEN"


def test_a_dataset_files_captures_are_checked_against_the_spec(pi, tmp_path):
    with pytest.raises(DatasetError, match=r"captures.*not a valid EvidenceCapture"):
        pi(dataset=_dataset_file(tmp_path, "completed"))
