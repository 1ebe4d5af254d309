"""Object keys: the documented layout, and the image proxy against traversal and malformed keys
(400 or 404, never a 500, never a filesystem access)."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from mockgate.apis.context import MockOptions
from mockgate.apis.piorchestrator import images
from mockgate.apis.piorchestrator.keys import MalformedKey, check_key, object_key
from mockgate.core.clock import Clock
from mockgate.mockserver.app import context_of, create_app
from tests.apis.piorchestrator.expect import DOCS_NOW, IMAGE, error

KNOWN = "evidence/ctr-001/sess-abc123/BEFORE_OPEN_20260220T100005_01234567.jpg"

# Raw query strings, exactly as they go on the wire, and the status each must get.
CORPUS = [
    pytest.param("key=..%2Fetc%2Fpasswd", 400, id="dotdot-slash"),
    pytest.param("key=../../../../etc/passwd", 400, id="dotdot-plain"),
    pytest.param("key=evidence/ctr-001/../../../etc/shadow", 400, id="dotdot-inside"),
    pytest.param("key=evidence/ctr-001/sess-abc123/..", 400, id="dotdot-at-end"),
    pytest.param("key=....%2F%2F....%2F%2Fetc", 400, id="dot-dot-dot-dot"),
    pytest.param("key=%2e%2e%2fetc%2fpasswd", 400, id="percent-encoded-once"),
    pytest.param("key=%252e%252e%252fetc%252fpasswd", 400, id="percent-encoded-twice"),
    pytest.param("key=.%252E/x", 400, id="mixed-encoded-dot"),
    pytest.param("key=evidence%252fx", 400, id="encoded-slash"),
    pytest.param("key=evidence%255cx", 400, id="encoded-backslash"),
    pytest.param("key=%2Fetc%2Fpasswd", 400, id="absolute"),
    pytest.param("key=/" + KNOWN, 400, id="absolute-known-key"),
    pytest.param("key=//server/share", 400, id="unc-like"),
    pytest.param("key=evidence%5C..%5Cwin.ini", 400, id="backslash-dotdot"),
    pytest.param("key=C:%5CWindows%5Cwin.ini", 400, id="windows-path"),
    pytest.param("key=" + KNOWN + "%00.png", 400, id="nul-byte"),
    pytest.param("key=evidence%0Ax", 400, id="newline"),
    pytest.param("key=evidence%1Fx", 400, id="unit-separator"),
    pytest.param("key=", 400, id="empty"),
    pytest.param("", 400, id="missing"),
    pytest.param("key=" + "a" * 1025, 400, id="1025-chars"),
    pytest.param("key=" + "a/" * 3_000, 400, id="6k-chars"),
    pytest.param("key=" + "a" * 1024, 404, id="1024-chars-unknown"),
    pytest.param("key=file%3A%2F%2F%2Fetc%2Fpasswd", 404, id="file-url-is-just-a-key"),
    pytest.param("key=~%2F.ssh%2Fid_rsa", 404, id="home-dir"),
    pytest.param("key=%C0%AE%C0%AE%2Fetc", 404, id="overlong-utf8-dots"),
    pytest.param("key=evidence/./ctr-001", 404, id="single-dot-segment"),
    pytest.param("key=pyproject.toml", 404, id="repository-file"),
    pytest.param("key=" + KNOWN.replace("01234567", "00000000"), 404, id="unknown-in-layout"),
    pytest.param("key=" + KNOWN, 200, id="known"),
]


def test_object_keys_follow_the_documented_layout():
    key = object_key(
        container_id="ctr-001",
        session_id="sess-abc123",
        capture_tag="BEFORE_OPEN",
        created_at="2026-02-20T10:00:05Z",
        evidence_id="01234567-89ab-7cde-f012-3456789abcdef",
    )
    assert key == KNOWN
    check_key(key)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("x" * 1025, "longer than 1024", id="too-long"),
        pytest.param("a\x00b", "control", id="nul"),
        pytest.param("a\\b", "backslash", id="backslash"),
        pytest.param("/a", "absolute", id="absolute"),
        pytest.param("a/../b", "traversal", id="dotdot"),
        pytest.param("a/%2E%2e/b", "percent-encoding", id="encoded-dots"),
        pytest.param("a%2Fb", "percent-encoding", id="encoded-slash"),
    ],
)
def test_malformed_keys_are_refused_with_the_rule_they_break(key, reason):
    with pytest.raises(MalformedKey, match=reason):
        check_key(key)


@pytest.fixture(scope="module")
def proxy():
    """The docs dataset a week after the documents (every documented image is uploaded), shared
    by the tests here: none of their requests changes anything."""
    clock = Clock(DOCS_NOW + timedelta(days=7), frozen=True)
    app = create_app(
        "piorchestrator", MockOptions(dataset="docs", validate_responses=True), clock=clock
    )
    client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
    assert client.get(IMAGE, params={"key": "warm-up"}).status_code == 404
    yield client
    assert context_of(app).violations == [], "the mock broke its own spec"


@pytest.fixture
def no_filesystem(proxy, monkeypatch):
    """From here on, every way of opening a file records the attempt and fails."""
    attempts: list[str] = []

    def refuse(name):
        def opener(*args, **kwargs):
            attempts.append(f"{name}{args[:1]!r}")
            raise PermissionError(f"test forbids {name}")

        return opener

    monkeypatch.setattr(builtins, "open", refuse("open"))
    monkeypatch.setattr(io, "open", refuse("io.open"))
    monkeypatch.setattr(os, "open", refuse("os.open"))
    monkeypatch.setattr(pathlib.Path, "open", refuse("Path.open"))
    return attempts


@pytest.mark.parametrize(("query", "status"), CORPUS)
def test_the_image_proxy_refuses_or_misses_every_hostile_key(proxy, no_filesystem, query, status):
    response = proxy.get(IMAGE + ("?" + query if query else ""))
    assert no_filesystem == []
    if status == 200:
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        return
    body = error(response, status)
    assert body["code"] == {400: "BAD_REQUEST", 404: "NOT_FOUND"}[status]
    assert len(response.content) < 1300  # a hostile key is not echoed back
    if status == 400:
        assert body["details"]["parameter"] == "key"
        assert body["error"].startswith(("invalid object key: ", "Invalid parameter: query.key"))


def test_a_known_image_is_rendered_without_touching_the_filesystem(proxy, no_filesystem):
    images.jpeg.cache_clear()
    response = proxy.get(IMAGE, params={"key": KNOWN})
    assert response.status_code == 200
    assert len(response.content) == 245_760
    assert no_filesystem == []
