"""What is benchmarked for each API: requests chosen from the specs, ids found on the mock.

Every API gets its list operation (20 records a page where the API pages) and, where the spec
has one, a single-record GET; state-tracking also gets two writes (create session, session
heartbeat). Ids come from the running mock's own list answer, so the requests are valid on the
data being served; ``capture`` then records the mock's answer, which the baselines replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.load import Request, send
from benchmarks.prism_spec import Capture

__all__ = [
    "API_NAMES",
    "Scenario",
    "capture",
    "credentials",
    "list_scenario",
    "plan",
]

API_NAMES = ("agentlens", "fasting", "piorchestrator", "state-tracking")
PAGE = 20
Headers = tuple[tuple[str, str], ...]

_FASTING_TOKEN = r"Authorization: Bearer (fst_\w+)"
# Created through the API so state-tracking's list page holds PAGE sessions (the demo has 16).
_NEW_SESSION = {"project_id": "123", "machine_id": "workstation-27", "metadata": {"bench": "1"}}


@dataclass(frozen=True)
class Scenario:
    """One benchmarked request of one API."""

    api: str
    name: str  # list, get, create session, heartbeat
    kind: str  # read or write
    method: str
    template: str  # the spec's path template (what Prism's example is attached to)
    path: str  # the concrete path and query
    headers: Headers = ()
    body: str | None = None

    @property
    def label(self) -> str:
        return f"{self.api} {self.name}"

    def request(self, base_url: str) -> Request:
        return Request(self.method, base_url + self.path, self.headers, self.body)


def credentials(api: str, startup_output: str) -> Headers | None:
    """The headers that authenticate on ``api``'s mock; ``None`` until printed (fasting's
    per-user tokens appear in ``mockgate serve``'s start-up banner)."""
    if api == "agentlens":
        return (("Authorization", "Bearer als_mockgate_dev_key"),)
    if api == "state-tracking":
        return (("X-API-Key", "st_mockgate_dev_key"),)
    if api == "fasting":
        match = re.search(_FASTING_TOKEN, startup_output)
        return (("Authorization", f"Bearer {match.group(1)}"),) if match else None
    return ()  # piorchestrator: no credentials (the config-UI port)


def list_scenario(api: str, headers: Headers) -> Scenario:
    """``api``'s list page of ``PAGE`` records."""
    template, query = {
        "agentlens": ("/api/sessions", f"?limit={PAGE}"),
        "fasting": ("/api/sessions", f"?pageSize={PAGE}"),
        "piorchestrator": ("/api/v1/sessions", f"?limit={PAGE}"),
        "state-tracking": ("/sessions", f"?limit={PAGE}"),
    }[api]
    return Scenario(api, "list", "read", "GET", template, template + query, headers)


def plan(api: str, base_url: str, startup_output: str) -> list[Scenario]:
    """The scenarios of ``api``, against its mock at ``base_url`` (which may be prepared)."""
    headers = credentials(api, startup_output)
    if headers is None:
        raise RuntimeError(f"{api}: no credential in mockgate's start-up output")
    listing = list_scenario(api, headers)
    created: list[Any] = []
    with httpx.Client(timeout=30.0) as client:
        if api == "state-tracking":
            missing = max(0, PAGE - len(_json(client, listing.request(base_url))))
            create = Request("POST", f"{base_url}/sessions", headers, json.dumps(_NEW_SESSION))
            created = [_json(client, create) for _ in range(missing)]
        page = _json(client, listing.request(base_url))
    return [listing, *_planners[api](headers, page, created)]


def capture(client: httpx.Client, base_url: str, scenario: Scenario) -> Capture:
    """The mock's answer to ``scenario``, which must be a success."""
    response = send(client, scenario.request(base_url))
    if not response.is_success:
        raise RuntimeError(
            f"{scenario.label}: {scenario.method} {scenario.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return Capture(
        method=scenario.method,
        template=scenario.template,
        status=response.status_code,
        content_type=response.headers.get("content-type", "application/octet-stream"),
        body=response.content,
    )


def _agentlens(headers: Headers, page: Any, created: list[Any]) -> list[Scenario]:
    sid = page["sessions"][0]["id"]
    return [_get("agentlens", "/api/sessions/{id}", f"/api/sessions/{sid}", headers)]


def _fasting(headers: Headers, page: Any, created: list[Any]) -> list[Scenario]:
    return []  # the fasting API has no single-record operation


def _piorchestrator(headers: Headers, page: Any, created: list[Any]) -> list[Scenario]:
    sessions = page["data"]["sessions"]
    complete = next((s for s in sessions if s["pair_complete"]), sessions[0])
    sid = complete["session_id"]
    template = "/api/v1/sessions/{sessionId}/evidence"
    return [_get("piorchestrator", template, f"/api/v1/sessions/{sid}/evidence", headers)]


def _state_tracking(headers: Headers, page: Any, created: list[Any]) -> list[Scenario]:
    sid = page[0]["session_id"]
    active = next(s["session_id"] for s in [*created, *page] if s["status"] == "active")
    return [
        _get("state-tracking", "/sessions/{id}", f"/sessions/{sid}", headers),
        Scenario(
            "state-tracking",
            "create session",
            "write",
            "POST",
            "/sessions",
            "/sessions",
            headers,
            json.dumps(_NEW_SESSION),
        ),
        Scenario(
            "state-tracking",
            "heartbeat",
            "write",
            "POST",
            "/sessions/{id}/heartbeat",
            f"/sessions/{active}/heartbeat",
            headers,
        ),
    ]


_planners: dict[str, Callable[[Headers, Any, list[Any]], list[Scenario]]] = {
    "agentlens": _agentlens,
    "fasting": _fasting,
    "piorchestrator": _piorchestrator,
    "state-tracking": _state_tracking,
}


def _get(api: str, template: str, path: str, headers: Headers) -> Scenario:
    return Scenario(api, "get", "read", "GET", template, path, headers)


def _json(client: httpx.Client, request: Request) -> Any:
    response = send(client, request)
    if not response.is_success:
        raise RuntimeError(
            f"{request.method} {request.url} answered {response.status_code}: {response.text[:500]}"
        )
    return response.json()
