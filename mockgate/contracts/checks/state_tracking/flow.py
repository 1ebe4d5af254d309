"""The flow of a writing probe, and `flow_probe`, which registers a probe written as a sequence
of steps on one.

A flow keeps the exchanges so far (they reproduce what it finds) and the sessions it creates: on
a machine and a project the server already lists (falling back to the document's
`macbook-pro-m1` and `123`), marked with `metadata.mockgate_probe`, and purged when the probe is
done, also when it stops early. A flow never touches records it did not create, except that the
slot probe briefly occupies one free docker slot of a listed machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import API, LIST_LIMIT, body_of, items_of
from mockgate.contracts.registry import probe
from mockgate.contracts.session import ProbeSession, ReadOnly
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["DOC_PROJECT", "PROBE_MARK", "Flow", "FlowSteps", "flow_probe"]

PROBE_MARK = "mockgate_probe"  # the metadata key that marks what a probe created
DOC_MACHINE, DOC_PROJECT = "macbook-pro-m1", "123"  # the document's identifiers
_TRAIL = 12  # steps a probe's reproduction lists at most

FlowSteps = Callable[["Flow"], None]  # a probe's body: steps on a flow, findings through it


def flow_probe(name: str) -> Callable[[FlowSteps], Callable[[ProbeSession], Iterator[Finding]]]:
    """Register ``steps(flow)`` as the probe ``name``, which writes (a flow creates sessions, so
    read-only mode skips it). Each run gets a fresh `Flow`, purges what it created however the
    steps end, then yields the flow's findings. The steps' docstring is the probe's."""

    def register(steps: FlowSteps) -> Callable[[ProbeSession], Iterator[Finding]]:
        def run(session: ProbeSession) -> Iterator[Finding]:
            flow = Flow(name, session)
            try:
                steps(flow)
            finally:
                flow.cleanup()
            yield from flow.findings

        # Reports show the docstring and tests find a check by its module. Not functools.wraps:
        # its `__wrapped__` would make the probe's signature read as taking a flow.
        run.__module__, run.__name__ = steps.__module__, steps.__name__
        run.__qualname__, run.__doc__ = steps.__qualname__, steps.__doc__
        probe(name, apis=API, writes=True)(run)
        return run

    return register


@dataclass
class Flow:
    """One probe's sequence: the exchanges so far (the reproduction), what it found, and the
    sessions it created (purged at the end)."""

    check: str
    session: ProbeSession
    steps: list[Exchange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    place: tuple[str, str] | None = None  # (machine_id, project_id) sessions are created on
    origin: Exchange | None = None  # the creation of the flow's first session

    def call(self, operation: str, **kwargs: Any) -> Exchange:
        """Call ``operation`` (``ProbeSession.call``'s arguments) and keep the exchange as a
        step."""
        exchange = self.session.call(operation, **kwargs)
        self.steps.append(exchange)
        return exchange

    def fail(self, message: str, operation: str | None = None) -> None:
        """A finding about ``operation`` (default: the last step's), reproduced by the steps
        since the flow began: the session's creation and the last steps (twelve at most)."""
        trail = self.steps[-_TRAIL:]
        if self.origin is not None and self.origin not in trail:
            trail = [self.origin, *trail[1:]]
        op = operation or trail[-1].operation_id
        self.findings.append(Finding.from_exchanges(self.check, message, *trail, operation=op))

    def expect(self, exchange: Exchange, wanted: int, what: str) -> bool:
        """Whether ``exchange`` has the status ``wanted``; a finding when not."""
        if exchange.status == wanted:
            return True
        extra = _error_text(exchange)
        self.fail(f"{what}: expected {wanted}, got {exchange.status}{extra}")
        return False

    def new_session(self, **extra: Any) -> tuple[Exchange, str | None]:
        """Create a session (on a listed machine and project); its id, or None when the server
        would not create one for a reason that is not a departure (unknown machine or project).
        A 403 (a read-only key) skips the probe, as read-only mode does."""
        for machine, project in self._places():
            body = {
                "project_id": project,
                "machine_id": machine,
                "metadata": {PROBE_MARK: self.check},
                **extra,
            }
            exchange = self.call("createSession", body=body)
            sid = body_of(exchange).get("session_id")
            if exchange.status == 201 and isinstance(sid, str) and sid:
                self.created.append(sid)
                self.place = (machine, project)
                self.origin = self.origin or exchange
                return exchange, sid
            if exchange.status == 403:
                # A read-only key: the probe cannot judge, like a run in read-only mode.
                raise ReadOnly(f"the credential may not write ({exchange.describe()})")
            if exchange.status != 404:
                break
        return exchange, None

    def _places(self) -> list[tuple[str, str]]:
        if self.place is not None:
            return [self.place]
        machines = items_of(self.session.call("listMachines"))
        online = [m for m in machines if m.get("status") == "online"] or machines
        machine_ids = [str(m["machine_id"]) for m in online if m.get("machine_id")][:1]
        sessions = items_of(self.session.call("listSessions", query={"limit": LIST_LIMIT}))
        projects = list(
            dict.fromkeys(str(s["project_id"]) for s in sessions if s.get("project_id"))
        )
        projects = projects[:1] + ([DOC_PROJECT] if DOC_PROJECT not in projects[:1] else [])
        machine_ids += [] if machine_ids else [DOC_MACHINE]
        return [(m, p) for m in machine_ids for p in projects]

    def cleanup(self) -> None:
        """Purge what the flow created (best effort: a cleanup never reports anything)."""
        for sid in self.created:
            try:
                self.session.call("purgeSession", path_params={"id": sid}, body={"confirm": True})
            except Exception:  # rate limits, transport errors: leave it
                return
        self.created.clear()


def _error_text(exchange: Exchange) -> str:
    """The error's message, to show next to an unexpected error status."""
    if exchange.status < 400:
        return ""
    body = body_of(exchange)
    message = body.get("message") if isinstance(body.get("message"), str) else None
    return f" ({message})" if message else ""
