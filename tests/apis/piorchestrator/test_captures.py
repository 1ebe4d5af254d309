"""The 24 h TTL and the upload through HTTP: inline ``image_data`` while a capture is young, the
image proxy once it is uploaded, with the headers the contract requires."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.piorchestrator.captures import upload_delay
from mockgate.core.clock import Clock
from tests.apis.piorchestrator.expect import IMAGE, all_captures, decode, error, evidence

BEFORE_OPEN = "01234567-89ab-7cde-f012-3456789abcdef"  # the documents' capture, 10:00:05
BEFORE_OPEN_KEY = "evidence/ctr-001/sess-abc123/BEFORE_OPEN_20260220T100005_01234567.jpg"
TAKEN = datetime(2026, 2, 20, 10, 0, 5, tzinfo=UTC)
# The documents' object-store-only capture, 10:01:45.
AFTER_CLOSE = "fedcba98-7654-7321-0fed-cba987654321"
AFTER_CLOSE_KEY = "evidence/ctr-001/sess-abc123/AFTER_CLOSE_20260220T100145_fedcba98.jpg"
AFTER_CLOSE_TAKEN = datetime(2026, 2, 20, 10, 1, 45, tzinfo=UTC)


def _docs_at(pi, moment, evidence_id=BEFORE_OPEN):
    client = pi(dataset="docs", clock=Clock(moment, frozen=True))
    captures = {c["evidence_id"]: c for c in evidence(client, "sess-abc123")["captures"]}
    return client, captures[evidence_id]


@pytest.mark.parametrize(
    ("age", "inline"),
    [
        pytest.param(timedelta(minutes=10), True, id="10-minutes"),
        pytest.param(timedelta(hours=24) - timedelta(seconds=1), True, id="24h-minus-1s"),
        pytest.param(timedelta(hours=24), False, id="24h"),
        pytest.param(timedelta(days=30), False, id="30-days"),
    ],
)
def test_image_data_is_inline_while_the_capture_is_younger_than_24_hours(pi, age, inline):
    _, capture = _docs_at(pi, TAKEN + age)
    assert ("image_data" in capture) is inline
    assert capture["object_key"] == BEFORE_OPEN_KEY
    assert capture["upload_status"] == "uploaded"
    assert capture["image_size_bytes"] == 245_760


def _captures_of(client, session_ids):
    return {c["evidence_id"]: c for sid in session_ids for c in evidence(client, sid)["captures"]}


def test_an_expired_image_is_served_by_the_proxy_with_the_same_bytes(demo):
    young = [c for c in all_captures(demo) if "image_data" in c and "object_key" in c]
    young = [c for c in young if c["upload_status"] != "failed"]
    assert young
    demo.ctx.clock.advance(timedelta(hours=24))
    expired = _captures_of(demo, {c["session_id"] for c in young})
    for capture in young:
        later = expired[capture["evidence_id"]]
        assert "image_data" not in later
        assert later == {k: v for k, v in capture.items() if k != "image_data"}
        response = demo.get(IMAGE, params={"key": capture["object_key"]})
        assert response.status_code == 200
        assert response.content == base64.b64decode(capture["image_data"])


def test_the_image_proxy_sets_type_length_and_caching_headers(docs):
    response = docs.get(IMAGE, params={"key": BEFORE_OPEN_KEY})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert int(response.headers["content-length"]) == len(response.content) == 245_760
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers["etag"] == f'"{hashlib.md5(response.content).hexdigest()}"'
    assert response.headers["x-request-id"]
    decode(response.content)


def test_a_capture_is_not_in_the_object_store_until_its_upload_is_done(pi):
    delay = upload_delay({"evidence_id": BEFORE_OPEN})
    client, capture = _docs_at(pi, TAKEN + timedelta(seconds=delay - 1))
    assert "image_data" in capture
    assert not {"object_key", "upload_status"} & capture.keys()
    error(client.get(IMAGE, params={"key": BEFORE_OPEN_KEY}), 404)
    client.ctx.clock.advance(timedelta(seconds=1))
    assert client.get(IMAGE, params={"key": BEFORE_OPEN_KEY}).status_code == 200


def test_a_cleared_image_leaves_memory_once_it_is_in_the_object_store(pi):
    """The documents' AFTER_CLOSE: inline while its upload runs, then the image proxy only, long
    before the 24 h TTL, with the same bytes."""
    delay = upload_delay({"evidence_id": AFTER_CLOSE})
    client, capture = _docs_at(pi, AFTER_CLOSE_TAKEN + timedelta(seconds=delay - 1), AFTER_CLOSE)
    assert "image_data" in capture
    assert "object_key" not in capture
    error(client.get(IMAGE, params={"key": AFTER_CLOSE_KEY}), 404)
    client.ctx.clock.advance(timedelta(seconds=1))
    later = {c["evidence_id"]: c for c in evidence(client, "sess-abc123")["captures"]}
    assert "image_data" not in later[AFTER_CLOSE]
    assert later[AFTER_CLOSE]["object_key"] == AFTER_CLOSE_KEY
    response = client.get(IMAGE, params={"key": AFTER_CLOSE_KEY})
    assert response.status_code == 200
    assert response.content == base64.b64decode(capture["image_data"])
    assert "image_data" in later[BEFORE_OPEN]  # the others stay inline until the TTL


def test_the_proxy_has_no_object_for_a_failed_upload_even_while_inline(pi):
    """A failed upload stored nothing: its key is a 404 from the start, while the dashboard
    still shows the image inline, and after the TTL, when the image is gone."""
    client = pi(dataset="empty")
    key = "evidence/ctr-042/sess-upfail/BEFORE_OPEN_20260119T115000_0194d3f0.jpg"
    capture = {
        "evidence_id": "0194d3f0-0000-7000-8000-00000000f001",
        "capture_tag": "BEFORE_OPEN",
        "status": "captured",
        "device_id": "espcam-00ff00",
        "container_id": "ctr-042",
        "session_id": "sess-upfail",
        "created_at": "2026-01-19T11:50:00Z",  # ten minutes before the clock
        "content_type": "image/jpeg",
        "object_key": key,
        "upload_status": "failed",
        "upload_error": "MinIO: connection refused",
    }
    session = {
        "session_id": "sess-upfail",
        "container_id": "ctr-042",
        "device_id": "espcam-00ff00",
        "started_at": "2026-01-19T11:49:50Z",
        "status": "partial",
        "ended_at": "2026-01-19T11:52:00Z",
    }
    state = {"sessions": {"sess-upfail": session}, "captures": {capture["evidence_id"]: capture}}
    assert client.put("/__mockgate/state", json=state).status_code == 204
    for inline in (True, False):
        (served,) = evidence(client, "sess-upfail")["captures"]
        assert ("image_data" in served) is inline
        assert (served["object_key"], served["upload_status"]) == (key, "failed")
        body = error(client.get(IMAGE, params={"key": key}), 404)
        assert body["error"] == f"evidence image not found: {key}"
        client.ctx.clock.advance(timedelta(hours=24))


def test_an_image_whose_upload_failed_is_lost_after_the_ttl(demo):
    seeded = {c["session_id"] for c in all_captures(demo)}
    demo.ctx.clock.advance(timedelta(hours=25))  # every seeded capture is past the TTL
    failed = [c for c in _captures_of(demo, seeded).values() if c.get("upload_status") == "failed"]
    assert failed
    for capture in failed:
        assert capture["upload_error"].startswith("MinIO")
        assert "image_data" not in capture
        body = error(demo.get(IMAGE, params={"key": capture["object_key"]}), 404)
        assert body["error"] == f"evidence image not found: {capture['object_key']}"


def test_unverified_uploads_are_still_served(demo):
    unverified = [c for c in all_captures(demo) if c.get("upload_status") == "unverified"]
    demo.ctx.clock.advance(timedelta(hours=25))
    assert unverified
    for capture in unverified:
        assert demo.get(IMAGE, params={"key": capture["object_key"]}).status_code == 200
