"""Handlers of the admin API: thin wrappers over the context's store, journal, clock, faults."""

from __future__ import annotations

from typing import Any

from mockgate.apis.context import MockContext
from mockgate.core.clock import parse_duration, parse_instant
from mockgate.core.errors import FieldError, MockError
from mockgate.core.faults import Fault
from mockgate.core.store import load_json
from mockgate.core.stubs import InvalidStub, Stub
from mockgate.core.timestamps import format_timestamp
from mockgate.mockserver.responses import encode_json
from mockgate.openapi.schemas import ResponseValidator
from mockgate.openapi.stubs import bind
from mockgate.reports.coverage import Coverage

JsonReply = tuple[Any, int]


async def admin_health(ctx: MockContext) -> JsonReply:
    return {
        "status": "ok",
        "api": ctx.name,
        "dataset": ctx.options.dataset,
        "seed": ctx.options.seed,
        "started_at": format_timestamp(ctx.started_at),
        "now": format_timestamp(ctx.clock.now()),
    }, 200


async def admin_reset(ctx: MockContext, body: dict[str, Any] | None = None) -> JsonReply:
    ctx.reset(clock=bool((body or {}).get("clock")))
    return None, 204


async def admin_get_state(ctx: MockContext) -> JsonReply:
    return ctx.store.snapshot(), 200


async def admin_put_state(ctx: MockContext, body: dict[str, Any]) -> JsonReply:
    try:
        load_json(ctx.store, encode_json(body))
    except ValueError as exc:
        raise MockError(400, str(exc), (FieldError("body", str(exc)),)) from None
    return None, 204


async def admin_list_requests(
    ctx: MockContext,
    method: str | None = None,
    path_prefix: str | None = None,
    operation_id: str | None = None,
    limit: int | None = None,
) -> JsonReply:
    entries = ctx.journal.entries(
        method=method, path_prefix=path_prefix, operation_id=operation_id, limit=limit
    )
    return {"requests": [e.to_json() for e in entries]}, 200


async def admin_clear_requests(ctx: MockContext) -> JsonReply:
    ctx.journal.clear()
    return None, 204


async def admin_get_clock(ctx: MockContext) -> JsonReply:
    return ctx.clock.state().to_json(), 200


async def admin_set_clock(ctx: MockContext, body: dict[str, Any]) -> JsonReply:
    try:
        # Parsed, then checked together against the clock's range and applied in one step: a
        # bad request changes nothing.
        ctx.clock.change(
            at=parse_instant(body["set"]) if "set" in body else None,
            advance=parse_duration(body["advance"]) if "advance" in body else None,
            freeze=body.get("freeze"),
            speed=float(body["speed"]) if "speed" in body else None,
        )
    except (ValueError, OverflowError) as exc:
        raise MockError(
            400, f"Invalid clock change: {exc}", (FieldError("body", str(exc)),)
        ) from None
    return ctx.clock.state().to_json(), 200


async def admin_list_faults(ctx: MockContext) -> JsonReply:
    return {"faults": ctx.faults.list()}, 200


async def admin_add_fault(ctx: MockContext, body: dict[str, Any]) -> JsonReply:
    known = {op.operation_id for op in ctx.spec.operations if op.operation_id}
    try:
        fault = Fault.from_json(body, known_operations=known)
    except ValueError as exc:
        raise MockError(400, f"Invalid fault: {exc}", (FieldError("body", str(exc)),)) from None
    fault_id = ctx.faults.add(fault)
    return next(f for f in ctx.faults.list() if f["id"] == fault_id), 201


async def admin_clear_faults(ctx: MockContext) -> JsonReply:
    ctx.faults.clear()
    return None, 204


async def admin_list_stubs(ctx: MockContext) -> JsonReply:
    return {"stubs": [stub.to_json() for stub in ctx.stubs.ordered()]}, 200


async def admin_add_stub(ctx: MockContext, body: dict[str, Any]) -> JsonReply:
    # A validator of its own when self-validation is off: built in microseconds, and it
    # compiles only the schemas this stub is checked against.
    validator = ctx.validator or ResponseValidator.from_spec(ctx.spec.resolved)
    try:
        stub = bind(Stub.from_json(body), ctx.spec, ctx.routes, validator)
    except InvalidStub as exc:
        details = tuple(FieldError("body", problem) for problem in exc.problems)
        raise MockError(400, f"Invalid stub: {exc}", details) from None
    return ctx.stubs.add(stub).to_json(), 201


async def admin_get_stub(ctx: MockContext, id_: str) -> JsonReply:
    stub = ctx.stubs.get(id_)
    if stub is None:
        raise _no_stub(ctx, id_)
    return stub.to_json(), 200


async def admin_delete_stub(ctx: MockContext, id_: str) -> JsonReply:
    if not ctx.stubs.remove(id_):
        raise _no_stub(ctx, id_)
    return None, 204


async def admin_clear_stubs(ctx: MockContext) -> JsonReply:
    ctx.stubs.clear()
    return None, 204


def _no_stub(ctx: MockContext, stub_id: str) -> MockError:
    held = ", ".join(stub.id for stub in ctx.stubs.ordered()) or "none"
    return MockError(404, f"No stub {stub_id} (a stub is removed at its hit limit); stubs: {held}")


async def admin_list_violations(ctx: MockContext) -> JsonReply:
    return {"violations": list(ctx.violations)}, 200


async def admin_get_coverage(ctx: MockContext, summary: bool = False) -> JsonReply:
    coverage: Coverage = ctx.coverage
    data = coverage.to_json()
    if summary:
        data["summary"] = coverage.summary(ctx.spec).to_json()
    return data, 200


async def admin_clear_coverage(ctx: MockContext) -> JsonReply:
    coverage: Coverage = ctx.coverage
    coverage.clear()
    return None, 204


async def admin_get_scenario(ctx: MockContext) -> JsonReply:
    return {"name": ctx.scenario, "available": dict(ctx.api.scenarios)}, 200


async def admin_set_scenario(ctx: MockContext, body: dict[str, Any]) -> JsonReply:
    name = body["name"]
    if name is not None and name not in ctx.api.scenarios:
        known = ", ".join(ctx.api.scenarios) or "none"
        message = f"{ctx.name} has no scenario {name!r} (scenarios: {known})"
        raise MockError(400, message, (FieldError("body.name", message),))
    ctx.scenario = name
    return await admin_get_scenario(ctx)
