"""More broken variants, for the state-tracking and PiOrchestrator checks (the ``Variant``
wrapper and the helpers are those of ``variants``). Each factory says which check must catch
it; ``recorder`` changes nothing and notes what the mock answered, so a passing run can prove
that it judged real answers.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from tests.contracts.variants import Mutation, Request, Response, on_json

__all__ = [
    "accept_on_state_rule",
    "active_sessions_off",
    "add_to_active_list",
    "available_counts_off",
    "drop_from_project_group",
    "drop_header",
    "drop_rate_limit_headers",
    "drop_validation_details",
    "edit_json",
    "list_counters_off",
    "list_total_off",
    "nest_default_envelope",
    "pair_slot_from_elsewhere",
    "pair_status_ignores_slots",
    "rate_limit_reset_as_delta",
    "recorder",
    "replace_image_data",
    "serve_malformed_keys",
    "set_field",
    "timeouts_not_failed",
    "truncate_image_data",
    "truncate_proxy_image",
]


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


def recorder(seen: list[tuple[str | None, int]]) -> Mutation:
    """Change nothing; append ``(operationId, status)`` of every answer to ``seen``."""

    def note(request: Request, response: Response) -> Response:
        seen.append((request.operation_id, response.status))
        return response

    return Mutation("recorder", response=note)


def edit_json(operation: str, edit: Callable[[Any], Any], *, status: int = 200) -> Mutation:
    """Rewrite the JSON body of one operation's ``status`` answers with ``edit(body)``."""
    return Mutation(
        f"edit {operation}", _ops(operation), response=on_json(lambda r, b: edit(b), status=status)
    )


def set_field(operation: str, path: Iterable[str], value: Any, *, status: int = 200) -> Mutation:
    """Set the field at ``path`` (keys from the body down) in one operation's answers."""
    keys = list(path)

    def edit(body: Any) -> Any:
        target = body
        for key in keys[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[keys[-1]] = value
        return body

    return edit_json(operation, edit, status=status)


# --- state-tracking -------------------------------------------------------------------------


def release_does_nothing() -> Mutation:
    """``POST /machines/{id}/release-session`` answers 200 but the session keeps its slot (the
    request goes to the machine's heartbeat instead): slot_conflict."""

    def to_heartbeat(request: Request) -> Request:
        return replace(request, path=request.path.replace("/release-session", "/heartbeat"))

    return Mutation("release does nothing", _ops("releaseSessionFromMachine"), request=to_heartbeat)


def nest_default_envelope(status: int = 404) -> Mutation:
    """NestJS's default error body for ``status`` answers (``{statusCode, message, error:
    "Not Found"}``: no code, request id, timestamp or path): error_envelope."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == status:
            response.json = {"statusCode": status, "message": "Not Found", "error": "Not Found"}
        return response

    return Mutation(f"NestJS default {status} body", response=edit)


def drop_validation_details() -> Mutation:
    """400s for invalid input without ``details``: error_envelope."""

    def edit(request: Request, response: Response) -> Response:
        body = response.json
        if response.status == 400 and isinstance(body, dict) and "details" in body:
            body.pop("details")
            response.json = body
        return response

    return Mutation("400 without details", response=edit)


def drop_header(name: str, *, status: int | None = None) -> Mutation:
    """Leave the header ``name`` out (of ``status`` answers only, when given):
    rate_limit_headers."""

    def edit(request: Request, response: Response) -> Response:
        if status is None or response.status == status:
            response.headers = [(k, v) for k, v in response.headers if k != name.lower()]
        return response

    return Mutation(f"no {name}", response=edit)


def rate_limit_reset_as_delta() -> Mutation:
    """``X-RateLimit-Reset`` as seconds until the reset, as some throttlers send it, instead of
    the documented Unix time: rate_limit_headers."""

    def edit(request: Request, response: Response) -> Response:
        if any(k == "x-ratelimit-reset" for k, _ in response.headers):
            response.set_header("x-ratelimit-reset", "42")
        return response

    return Mutation("Reset as a delta", response=edit)


_RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def drop_rate_limit_headers(where: Callable[[Request, Response], bool], name: str) -> Mutation:
    """All three ``X-RateLimit-*`` headers left out of the answers ``where`` picks (429s
    included when it picks them; ``Retry-After`` stays): rate_limit_headers on 429s,
    rate_limit_coverage elsewhere."""

    def edit(request: Request, response: Response) -> Response:
        if where(request, response):
            response.headers = [(k, v) for k, v in response.headers if k not in _RATE_HEADERS]
        return response

    return Mutation(f"no X-RateLimit-* {name}", response=edit)


def accept_on_state_rule(operation: str, body: Callable[[Request], Any]) -> Mutation:
    """Answer 200 with ``body(request)`` where the mock refused with a state-rule 400 (the
    server ignores the documented rule): session_state_machine, task_lifecycle."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == 400:
            response.status = 200
            response.json = body(request)
        return response

    return Mutation(f"{operation} accepts what the rules refuse", _ops(operation), response=edit)


def add_to_active_list(summary: Mapping[str, Any]) -> Mutation:
    """Put a session that is not active into the active list (labelled active):
    stale_consistency."""

    def edit(request: Request, body: Any) -> Any:
        return [*body, dict(summary)] if isinstance(body, list) else body

    return Mutation("active list padded", _ops("findActiveSessions"), response=on_json(edit))


def available_counts_off(edit_entry: Callable[[dict[str, Any]], None]) -> Mutation:
    """Each ``GET /machines/available`` entry edited by ``edit_entry``: slot_counts."""

    def edit(request: Request, body: Any) -> Any:
        for entry in body if isinstance(body, list) else []:
            edit_entry(entry)
        return body

    return Mutation("available counts off", _ops("findAvailableMachines"), response=on_json(edit))


def active_sessions_off() -> Mutation:
    """A machine's ``active_sessions`` without its first holder (or with a stranger when it
    has none), whatever ``assigned_sessions`` says: slot_counts."""

    def edit(request: Request, body: Any) -> Any:
        for machine in body if isinstance(body, list) else [body]:
            if isinstance(machine, dict) and isinstance(machine.get("active_sessions"), list):
                machine["active_sessions"] = machine["active_sessions"][1:] or ["stranger"]
        return body

    return Mutation(
        "active_sessions off", _ops("listMachines", "getMachine"), response=on_json(edit)
    )


def drop_from_project_group() -> Mutation:
    """Leave the last session out of each project's largest group, with the counts adjusted to
    match (only the records can tell): grouping_consistency."""

    def edit(request: Request, body: Any) -> Any:
        groups = body.get("by_status") if isinstance(body, dict) else None
        if not isinstance(groups, dict) or not groups:
            return body
        largest = max(groups.values(), key=lambda g: len(g.get("sessions", [])))
        if largest.get("sessions"):
            largest["sessions"].pop()
            largest["count"] = len(largest["sessions"])
            body["total_sessions"] = sum(g["count"] for g in groups.values())
        return body

    return Mutation("a session left out", _ops("getSessionsByProject"), response=on_json(edit))


# --- PiOrchestrator --------------------------------------------------------------------------


def timeouts_not_failed() -> Mutation:
    """Count only ``failed`` captures as failed, not timeouts: evidence_summary."""

    def edit(request: Request, body: Any) -> Any:
        data = body.get("data", {})
        captures = data.get("captures", [])
        data["summary"]["failed_captures"] = sum(c.get("status") == "failed" for c in captures)
        return body

    return Mutation("timeouts not counted", _ops("getSessionEvidence"), response=on_json(edit))


def pair_status_ignores_slots(status: str = "complete") -> Mutation:
    """``pair_status`` always ``status``, whatever the slots hold: pair_consistency."""
    return set_field("getSessionEvidencePair", ("data", "pair_status"), status)


def pair_slot_from_elsewhere() -> Mutation:
    """The pair's ``after`` slot names a capture that is not among the session's:
    pair_matches_evidence."""

    def edit(body: Any) -> Any:
        slot = body.get("data", {}).get("after")
        if isinstance(slot, dict):
            slot["evidence_id"] = "ffffffff-0000-7000-8000-000000000000"
        return body

    return edit_json("getSessionEvidencePair", edit)


def truncate_image_data(chars: int = 400) -> Mutation:
    """Cut the last ``chars`` characters (a multiple of 4: still base64) off every inline
    image: image_data_jpeg."""

    def cut(capture: Any) -> None:
        if isinstance(capture, dict) and isinstance(capture.get("image_data"), str):
            capture["image_data"] = capture["image_data"][:-chars]

    def edit(request: Request, body: Any) -> Any:
        data = body.get("data", {})
        for capture in data.get("captures", []):
            cut(capture)
        for name in ("before", "after"):
            cut(data.get(name))
        return body

    return Mutation(
        "truncated image_data",
        _ops("getSessionEvidence", "getSessionEvidencePair"),
        response=on_json(edit),
    )


def truncate_proxy_image(keep: int = 1000) -> Mutation:
    """Serve only the first ``keep`` bytes of every proxied image: image_proxy."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == 200:
            response.body = response.body[:keep]
        return response

    return Mutation("truncated image", _ops("getEvidenceImage"), response=edit)


def serve_malformed_keys() -> Mutation:
    """Serve a file for keys the proxy should refuse (traversal, absolute, backslash):
    image_proxy."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == 400:
            response.status = 200
            response.body = b"root:x:0:0:root:/root:/bin/sh\n"
            response.set_header("content-type", "image/jpeg")
        return response

    return Mutation("serves traversal keys", _ops("getEvidenceImage"), response=edit)


def list_counters_off(*, active: bool = False) -> Mutation:
    """One capture too many in the diagnostics list's counters of finished sessions (of the
    active ones only, with ``active``): session_counters_match_evidence."""

    def edit(request: Request, body: Any) -> Any:
        for item in body.get("data", {}).get("sessions", []):
            if (item.get("status") == "active") is active:
                item["total_captures"] += 1
                item["failed_captures"] += 1
        return body

    return Mutation(
        "list counters off",
        _ops("listDiagnosticSessions", "listSessions"),
        response=on_json(edit),
    )


def list_total_off(edit_total: Callable[[int, int], int]) -> Mutation:
    """The diagnostics list's ``data.total`` as ``edit_total(total, sessions listed)``:
    list_total."""

    def edit(request: Request, body: Any) -> Any:
        data = body.get("data", {})
        data["total"] = edit_total(data["total"], len(data.get("sessions", [])))
        return body

    return Mutation(
        "total off", _ops("listDiagnosticSessions", "listSessions"), response=on_json(edit)
    )


def replace_image_data(image: bytes, **fields: Any) -> Mutation:
    """Every inline image (captures and pair slots) replaced by base64 of ``image``, and
    ``fields`` set on the capture; its optional ``image_size_bytes`` left out, so that nothing
    but the inline data differs from the image behind the proxy: image_data_jpeg."""

    def swap(capture: Any) -> None:
        if isinstance(capture, dict) and capture.get("image_data"):
            capture["image_data"] = base64.b64encode(image).decode("ascii")
            capture.pop("image_size_bytes", None)
            capture.update(fields)

    def edit(request: Request, body: Any) -> Any:
        data = body.get("data", {})
        for capture in data.get("captures", []):
            swap(capture)
        for name in ("before", "after"):
            swap(data.get(name))
        return body

    return Mutation(
        "other image_data",
        _ops("getSessionEvidence", "getSessionEvidencePair"),
        response=on_json(edit),
    )
