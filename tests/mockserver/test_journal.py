"""The journal over HTTP: refused requests' entries bounded, credentials redacted by name."""

from __future__ import annotations

import json

import pytest

from mockgate.core.journal import HEAD_LIMIT, VALUE_LIMIT, Journal

AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}
# Generous: an entry's head is HEAD_LIMIT plus a few markers, its body nothing here.
ENTRY_BOUND = HEAD_LIMIT + 4 * 1024


@pytest.mark.parametrize(
    ("size", "status"),
    [
        pytest.param(60 * 1024, 200, id="60KiB-answered"),
        pytest.param(100 * 1024, 431, id="100KiB-refused"),
    ],
)
def test_a_large_header_leaves_a_bounded_entry(mock_client, size, status):
    client = mock_client("agentlens")
    response = client.get("/api/sessions", headers=AGENTLENS | {"X-Big": "h" * size})
    assert response.status_code == status
    (kept,) = client.ctx.journal.entries()
    assert kept.status == status
    assert kept.headers["x-big"] == "h" * VALUE_LIMIT + f"… [truncated: {size} characters]"
    assert kept.size() < ENTRY_BOUND
    assert len(json.dumps(kept.to_json())) < ENTRY_BOUND


def test_a_flood_of_refused_heads_stays_within_the_journals_bytes(mock_client):
    client = mock_client("agentlens")
    client.ctx.journal = Journal(max_bytes=1024 * 1024)
    headers = AGENTLENS | {f"X-Big-{n}": "h" * 10_000 for n in range(10)}
    for _ in range(300):
        assert client.get("/api/sessions", headers=headers).status_code == 431
    journal = client.ctx.journal
    assert 0 < journal.kept_bytes <= 1024 * 1024
    kept = journal.entries()
    assert 1024 * 1024 // ENTRY_BOUND <= len(kept) < 300
    assert all(entry.status == 431 and entry.size() < ENTRY_BOUND for entry in kept)


def test_a_refused_long_query_leaves_a_bounded_entry(mock_client):
    client = mock_client("agentlens")
    response = client.get("/api/sessions?status=" + "q" * 60_000, headers=AGENTLENS)
    assert response.status_code == 414
    (kept,) = client.ctx.journal.entries()
    assert kept.query["status"] == ["q" * VALUE_LIMIT + "… [truncated: 60000 characters]"]
    assert kept.size() < ENTRY_BOUND


def test_credentials_are_redacted_by_name_in_the_requests_listed(mock_client):
    client = mock_client("agentlens")
    client.post(
        "/api/events?token=abc123456789&api_key=k_0123456789&sessionId=s-42",
        headers=AGENTLENS | {"X-Auth-Token": "xat_0123456789", "X-Session-Id": "s-42"},
        json={"user": "ana", "password": "hunter2-hunter2", "sessionId": "s-42"},
    )
    (listed,) = client.get("/__mockgate/requests").json()["requests"]
    assert listed["query"] == {
        "token": ["abc123…"],
        "api_key": ["k_0123…"],
        "sessionId": ["s-42"],
    }
    assert listed["headers"]["authorization"] == "Bearer als_mock…"
    assert listed["headers"]["x-auth-token"] == "xat_012…"
    assert listed["headers"]["x-session-id"] == "s-42"
    assert json.loads(listed["body"]) == {
        "user": "ana",
        "password": "hunter2…",
        "sessionId": "s-42",
    }
    for secret in ("abc123456789", "k_0123456789", "xat_0123456789", "hunter2-hunter2"):
        assert secret not in json.dumps(listed)
