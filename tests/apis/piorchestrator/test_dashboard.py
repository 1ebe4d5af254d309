"""The PiDashboard's flow over HTTP: list the sessions (the inferred route first, the diagnostics
route as its fallback), read each session's evidence and pair, then show every capture's image
as the evidence document's image serving strategy says: inline ``image_data`` when present,
otherwise the image proxy with its ``object_key``. Every response is checked against the spec
(the ``mock_client`` fixture), as the dashboard validates them strictly.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from mockgate.core.clock import Clock
from tests.apis.piorchestrator.expect import DOCS_NOW, IMAGE, LIST, decode, ok

_DEGRADES = (404, 503)  # the documents' "graceful degradation" statuses


@dataclass
class Shown:
    """What the dashboard showed: how each capture's image came, per (route, evidence id)."""

    how: dict[tuple[str, str], str] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)  # evidence id -> the bytes shown
    uploads: dict[str, str | None] = field(default_factory=dict)  # evidence id -> upload_status
    sessions: int = 0

    def ways(self) -> Counter[str]:
        return Counter(self.how.values())

    def uploads_shown(self, how: str) -> set[str | None]:
        """The upload statuses of the captures shown ``how``."""
        return {self.uploads[eid] for (_, eid), way in self.how.items() if way == how}


def dashboard(client: Any) -> Shown:
    """One refresh of the dashboard's session view, every image included."""
    shown = Shown()
    query = {"limit": 100}  # the documented maximum
    response = client.get("/api/v1/sessions", params=query)
    if response.status_code != 200:  # any failure: the dashboard falls back
        response = client.get(LIST, params=query)
    listed = [] if response.status_code in _DEGRADES else ok(response)["sessions"]
    shown.sessions = len(listed)
    for session in listed:
        base = f"/api/v1/sessions/{session['session_id']}/evidence"
        evidence = client.get(base)
        captures = [] if evidence.status_code in _DEGRADES else ok(evidence)["captures"]
        pair = client.get(f"{base}/pair")
        slots = {} if pair.status_code in _DEGRADES else ok(pair)
        for route, capture in [
            *(("evidence", c) for c in captures),
            *((slot, slots[slot]) for slot in ("before", "after") if slots.get(slot)),
        ]:
            shown.how[route, capture["evidence_id"]] = _show(client, capture, shown)
            shown.uploads[capture["evidence_id"]] = capture.get("upload_status")
    return shown


def _show(client: Any, capture: dict[str, Any], shown: Shown) -> str:
    """``inline``, ``proxy``, ``unavailable`` (the proxy has no object) or ``none`` (no image)."""
    if capture.get("image_data"):
        raw = base64.b64decode(capture["image_data"], validate=True)
        how = "inline"
    elif capture.get("object_key"):
        response = client.get(IMAGE, params={"key": capture["object_key"]})
        if response.status_code == 404:
            return "unavailable"
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/jpeg"
        raw = response.content
        how = "proxy"
    else:
        assert capture["status"] != "captured", capture  # a successful one is always shown
        return "none"
    assert len(raw) == capture["image_size_bytes"]
    decode(raw)
    # A capture shows the same picture wherever it appears (the list, a pair slot, any way).
    assert shown.images.setdefault(capture["evidence_id"], raw) == raw
    return how


# The documents' records at the documents' moment: what each capture of sess-abc123 shows.
_BEFORE_OPEN = "01234567-89ab-7cde-f012-3456789abcdef"
_AFTER_OPEN = "0195a1b2-0001-7a10-8c00-0000000000a1"
_BEFORE_CLOSE = "0195a1b2-0002-7a10-8c00-0000000000a2"
_AFTER_CLOSE = "fedcba98-7654-7321-0fed-cba987654321"
_FAILED = ("0195a1b2-0003-7b20-9d00-0000000000d1", "0195a1b2-0004-7b20-9d00-0000000000d2")
_DOCUMENTED = {
    ("evidence", _BEFORE_OPEN): "inline",
    ("evidence", _AFTER_OPEN): "inline",
    ("evidence", _BEFORE_CLOSE): "inline",
    ("evidence", _AFTER_CLOSE): "proxy",  # object-store only, as the document shows it
    ("before", _BEFORE_OPEN): "inline",
    ("after", _AFTER_CLOSE): "proxy",
    **{("evidence", failed): "none" for failed in _FAILED},
}


@pytest.mark.parametrize(
    ("scenario", "changes"),
    [
        pytest.param(None, {}, id="as-documented"),
        pytest.param("sessions-unregistered", {}, id="fallback-to-diagnostics"),
        pytest.param(
            "image-proxy-unregistered",
            {("evidence", _AFTER_CLOSE): "unavailable", ("after", _AFTER_CLOSE): "unavailable"},
            id="before-the-proxy-handoff",
        ),
    ],
)
def test_the_dashboard_shows_the_documents_evidence(pi, scenario, changes):
    client = pi(dataset="docs", clock=Clock(DOCS_NOW, frozen=True), scenario=scenario)
    shown = dashboard(client)
    assert shown.sessions == 2
    assert shown.how == _DOCUMENTED | changes


def test_an_old_pi_orchestrator_leaves_the_dashboard_empty(pi):
    client = pi(dataset="docs", clock=Clock(DOCS_NOW, frozen=True), scenario="v1-unregistered")
    assert dashboard(client) == Shown()


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(timedelta(0), id="now"),
        pytest.param(timedelta(minutes=10), id="10-minutes-later"),
    ],
)
def test_the_dashboard_shows_every_demo_image_one_way_or_the_other(demo, later):
    """Inline while young, through the proxy once uploaded and expired from memory; only a
    failed upload past the TTL is unavailable, and only failed captures show none."""
    demo.ctx.clock.advance(later)
    shown = dashboard(demo)
    assert shown.sessions >= 26
    assert shown.ways().keys() == {"inline", "proxy", "unavailable", "none"}, shown.ways()
    assert shown.uploads_shown("proxy") == {"uploaded", "unverified"}
    assert shown.uploads_shown("unavailable") == {"failed"}
    assert shown.uploads_shown("none") == {None}
