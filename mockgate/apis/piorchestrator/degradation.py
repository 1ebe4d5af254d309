"""Degradation scenarios: the mock behaving like an older or incomplete PiOrchestrator.

Switched with ``--scenario piorchestrator=<name>`` or ``PUT /__mockgate/scenario``. Each one
unregisters routes: their requests answer 404 before anything else looks at them (request
validation included, as on a server that does not have the route at all); the API's request guard
(``guards.unregistered_routes``) applies ``unregistered``. The 404 is the contract's error
envelope (``route not found``, code ``NOT_FOUND``: the spec's ``RouteNotRegistered`` example)
rather than a Go router's bare ``404 page not found``, which the contract does not describe; the
dashboard treats both alike. 503s and 500s come from the fault controls
(``POST /__mockgate/faults``).
"""

from __future__ import annotations

__all__ = ["NOT_REGISTERED", "ROUTE_NOT_FOUND", "SCENARIOS", "unregistered"]

SCENARIOS = {
    "v1-unregistered": (
        "An old PiOrchestrator without the V1 routes: every /api/v1 operation answers 404 "
        "(route not found), so the dashboard degrades to empty lists and no evidence."
    ),
    "sessions-unregistered": (
        "A PiOrchestrator without the inferred GET /api/v1/sessions: it answers 404 and the "
        "newer dashboard falls back to GET /api/v1/diagnostics/sessions."
    ),
    "image-proxy-unregistered": (
        "A PiOrchestrator before the image-proxy handoff: GET /api/v1/evidence/image answers "
        "404, so only images younger than the 24 h TTL (inline image_data) can be shown."
    ),
}
# The operations each scenario unregisters (None: all of them).
NOT_REGISTERED: dict[str, frozenset[str] | None] = {
    "v1-unregistered": None,
    "sessions-unregistered": frozenset({"listSessions"}),
    "image-proxy-unregistered": frozenset({"getEvidenceImage"}),
}
ROUTE_NOT_FOUND = "route not found"


def unregistered(scenario: str | None, operation_id: str) -> bool:
    """Whether ``operation_id`` has no route under ``scenario``."""
    if scenario not in NOT_REGISTERED:
        return False
    operations = NOT_REGISTERED[scenario]
    return operations is None or operation_id in operations
