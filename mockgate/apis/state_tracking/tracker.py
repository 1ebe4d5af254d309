"""The state-tracking service over a ``Store``: each operation as one synchronous step.

``Tracker`` reads the records an operation needs, applies the pure rules (``sessions``,
``tasks``, ``machines``, ``recovery``, ``health``) and writes what changed. It knows nothing of
HTTP: ``handlers`` parses requests, calls it and shapes the answers.

**Atomicity.** No method awaits anything, and the handlers call them without awaiting in
between, so on the server's event loop each operation runs to its end before another starts:
the "is this slot free?" check and the write that takes the slot can never interleave with a
concurrent request for the same slot (exactly one of them wins, the others get 409).

**Time.** A ``Tracker`` is made per request with that request's ``now`` and first *settles* the
store: simulated heartbeats (``pulses``), then the stall rule for sessions and the offline rule
for machines, writing every record they change. So every answer, and the state the admin API
exports after it, agrees with the clock.

**Indexes.** Settling and the list pages read through store indexes (``OrderedIndex``), so a
request costs what it touches, not the size of the store: live records by last heartbeat (only
the silent ones at the front can change), sessions in list order and tasks in queue order with
buckets per filter. While the store holds a record an index cannot place (malformed, or keyed
other than by its id), the plain scan answers instead, exactly as before the indexes.

**Collections.** ``sessions``, ``tasks``, ``machines`` hold the API's records; internal ones:
``projects`` (the known GitHub projects: sessions can only be created for those, and for
projects that already have sessions), ``failures`` (reason and details of failed sessions, see
``recovery``), ``pulses``, ``settings`` (record ``thresholds``: ``stall_after_seconds``,
``machine_offline_after_seconds``; both 300 when absent) and ``sequences`` (record ``ids``: how
many ids of each kind were minted, see ``ids``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from mockgate.apis.state_tracking import health, pulses, recovery
from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking import tasks as task_rules
from mockgate.apis.state_tracking.ids import mint_uuid
from mockgate.apis.state_tracking.rules import Conflict, Invalid, NotFound, RuleError
from mockgate.core.store import Store
from mockgate.core.store.index import OrderedIndex
from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = ["Tracker"]

Record = dict[str, Any]


class Tracker:
    def __init__(self, store: Store, now: datetime, *, seed: int = 0) -> None:
        self.store = store
        self.now = now
        self.seed = seed
        thresholds = store.get("settings", "thresholds") or {}
        self.stall_after = int(
            thresholds.get("stall_after_seconds", session_rules.DEFAULT_STALL_AFTER)
        )
        self.offline_after = int(
            thresholds.get("machine_offline_after_seconds", machine_rules.DEFAULT_OFFLINE_AFTER)
        )
        self.settle()

    # --- time ----------------------------------------------------------------------------

    def settle(self) -> None:
        """Apply pulses, then the stall and offline rules, to every record; write changes.

        Only records with a pulse, and those the rule changes (a prefix of the live records by
        last heartbeat), can change: those are the ones visited (see ``_unsettled``)."""
        beating = {pulses.key(p["kind"], p["id"]): p for p in self.store.values("pulses")}
        for kind, collection, id_key, settle in (
            ("machine", "machines", "machine_id", self._settle_machine),
            ("session", "sessions", "session_id", self._settle_session),
        ):
            for record in self._unsettled(kind, collection, beating, settle):
                current = record
                pulse_key = pulses.key(kind, record[id_key])
                pulse = beating.get(pulse_key)
                if pulse is not None:
                    if record["status"] in pulses.ALIVE[kind]:
                        current = pulses.apply(current, pulse, self.now)
                    else:
                        self.store.delete("pulses", pulse_key)
                current = settle(current)
                if current is not record:
                    self.store.put(collection, record[id_key], current)

    def _unsettled(
        self,
        kind: str,
        collection: str,
        beating: Mapping[str, Any],
        settle: Callable[[Record], Record],
    ) -> list[Record]:
        """The records of ``collection`` ``settle`` may change: those with a pulse, then the
        silent ones (records are visited independently, so their order does not matter)."""
        index = self.store.index(
            collection, f"state-tracking.{collection}.heartbeats", _HEARTBEATS[collection]
        )
        if not index.complete:
            return self.store.values(collection)
        prefix = f"{kind}:"
        pulsed = (
            self.store.get(collection, k.removeprefix(prefix))
            for k in beating
            if k.startswith(prefix)
        )
        # Read before anything is written: a write changes the index.
        silent = itertools.takewhile(lambda record: settle(record) is not record, index.select())
        found = {
            r[_ID_KEYS[collection]]: r for r in itertools.chain(pulsed, silent) if r is not None
        }
        return list(found.values())

    def _settle_session(self, session: Record) -> Record:
        return session_rules.settle(session, self.now, self.stall_after)

    def _settle_machine(self, machine: Record) -> Record:
        return machine_rules.settle(machine, self.now, self.offline_after)

    # --- reading -------------------------------------------------------------------------

    def sessions(self) -> list[Record]:
        return self.store.values("sessions")

    def tasks(self) -> list[Record]:
        return self.store.values("tasks")

    def machines(self) -> list[Record]:
        return self.store.values("machines")

    def list_sessions(
        self,
        *,
        status: str | None = None,
        project_id: str | None = None,
        machine_id: str | None = None,
        include_archived: bool = False,
    ) -> Sequence[Record]:
        """``GET /sessions``: ``sessions.select`` in ``sessions.newest_first`` order (lazily:
        slicing reads only the slice)."""
        index = self._session_listing()
        if not index.complete:
            found = session_rules.select(
                self.sessions(),
                status=status,
                project_id=project_id,
                machine_id=machine_id,
                include_archived=include_archived,
            )
            return session_rules.newest_first(found)
        filters: dict[str, Iterable[str]] = {}
        if status is not None:
            # Archived sessions are left out of normal queries, even of status=archived.
            filters["status"] = [status] if include_archived or status != "archived" else []
        elif not include_archived:
            filters["status"] = [v for v in index.values("status") if v != "archived"]
        if project_id is not None:
            filters["project_id"] = [project_id]
        if machine_id is not None:
            filters["machine_id"] = [machine_id]
        return index.select(filters)

    def list_tasks(
        self,
        *,
        session_id: str | None = None,
        status: str | None = None,
        project_id: str | None = None,
    ) -> Sequence[Record]:
        """``GET /tasks``: ``tasks.select`` in ``tasks.queue_order`` (lazily, like sessions)."""
        index = self.store.index("tasks", "state-tracking.tasks.listing", _task_listing)
        if not index.complete:
            found = task_rules.select(
                self.tasks(), session_id=session_id, status=status, project_id=project_id
            )
            return task_rules.queue_order(found)
        given = {"session_id": session_id, "status": status, "project_id": project_id}
        return index.select({name: [value] for name, value in given.items() if value is not None})

    def session(self, session_id: str) -> Record:
        found = self.store.get("sessions", session_id)
        if found is None:
            raise NotFound(f"Session with ID {session_id} not found")
        return found

    def task(self, task_id: str) -> Record:
        found = self.store.get("tasks", task_id)
        if found is None:
            raise NotFound(f"Task with ID {task_id} not found")
        return found

    def machine(self, machine_id: str) -> Record:
        found = self.store.get("machines", machine_id)
        if found is None:
            raise NotFound(f"Machine with ID {machine_id} not found")
        return found

    def known_project(self, project_id: str) -> bool:
        """A project of the ``projects`` catalogue, or one that already has sessions."""
        if self.store.get("projects", project_id) is not None:
            return True
        index = self._session_listing()
        if index.complete:
            return bool(index.select({"project_id": [project_id]}))
        return any(s["project_id"] == project_id for s in self.sessions())

    def session_tasks(self, session_id: str) -> list[Record]:
        return task_rules.select(self.tasks(), session_id=session_id)

    def failure_reason(self, session: Mapping[str, Any]) -> str | None:
        failure = self.store.get("failures", session["session_id"]) or {}
        reason = failure.get("failure_reason") or (session.get("metadata") or {}).get(
            "failure_reason"
        )
        return str(reason) if reason else None

    # --- sessions ------------------------------------------------------------------------

    def create_session(self, body: Mapping[str, Any]) -> Record:
        machine = self.machine(body["machine_id"])
        if not self.known_project(body["project_id"]):
            raise NotFound(f"Project with ID {body['project_id']} not found")
        slot = body.get("docker_slot")
        session_id, counters = self._next_id("session")
        if slot is not None:
            self._put_machine(machine_rules.occupy(machine, slot, session_id))
        self.store.put("sequences", "ids", counters)
        session = session_rules.new_session(
            session_id=session_id,
            project_id=body["project_id"],
            machine_id=machine["machine_id"],
            docker_slot=slot,
            metadata=body.get("metadata"),
            now=self.now,
        )
        self._put_session(session)
        return session

    def update_session(self, session_id: str, body: Mapping[str, Any]) -> Record:
        """PUT: the fields as given (``sessions.update``), and the slot they imply: a finished
        session holds none; a ``docker_slot`` sent for a live one is taken (400 when the machine
        lacks it or another session holds it: PUT declares no 409); a session reopened without
        one takes its old slot again if it is still free, else runs without a slot."""
        before = self.session(session_id)
        after = session_rules.update(before, body, self.now)
        if after["status"] not in session_rules.LIVE:
            self._release(before)
        elif "docker_slot" in body:
            self._take_slot(before, body["docker_slot"])
        elif before["status"] not in session_rules.LIVE:
            after = self._reoccupy(after)
        if after["status"] == "failed" and before["status"] != "failed":
            reason = after["metadata"].get("failure_reason") or "Set to failed by an update"
            self._record_failure(after, str(reason), None)
        after = self._settle_session(after)
        self._put_session(after)
        return after

    def delete_session(self, session_id: str) -> None:
        before = self.session(session_id)
        after = session_rules.soft_delete(before, self.now)
        if after is not before:
            self._release(before)
            self._put_session(after)

    def heartbeat(self, session_id: str) -> Record:
        session = session_rules.heartbeat(self.session(session_id), self.now)
        self._put_session(session)
        return session

    def mark_failed(
        self, session_id: str, reason: str, error_details: Mapping[str, Any] | None
    ) -> Record:
        before = self.session(session_id)
        after = session_rules.mark_failed(before, reason, self.now)
        self._release(before)
        self._record_failure(after, reason, error_details)
        self._put_session(after)
        return after

    def failure_info(self, session_id: str) -> Record:
        session = self.session(session_id)
        return recovery.failure_info(
            session,
            self.store.get("failures", session_id),
            self.session_tasks(session_id),
            self.store.get("machines", session["machine_id"]),
        )

    def archive(self, session_id: str) -> Record:
        before = self.session(session_id)
        after = session_rules.archive(before, self.now)
        self._release(before)
        self._put_session(after)
        return after

    def purge(self, session_id: str) -> int:
        """Remove the session, its tasks and internal records; how many tasks went with it."""
        session = self.session(session_id)
        self._release(session)
        doomed = self.session_tasks(session_id)
        for task in doomed:
            self.store.delete("tasks", task["task_id"])
        self.store.delete("failures", session_id)
        self.store.delete("pulses", pulses.key("session", session_id))
        self.store.delete("sessions", session_id)
        return len(doomed)

    def prepare_recovery(self, session_id: str) -> Record:
        session = self.session(session_id)
        return recovery.plan(
            session,
            tasks=self.session_tasks(session_id),
            machines=self._machines_by_id(),
            now=self.now,
        )

    def recover(self, session_id: str, body: Mapping[str, Any]) -> Record:
        session = self.session(session_id)
        recovered, changed = recovery.recover(
            session,
            new_machine_id=body.get("new_machine_id"),
            new_docker_slot=body.get("new_docker_slot"),
            resume_from_task_id=body.get("resume_from_task_id"),
            tasks=self.session_tasks(session_id),
            machines=self._machines_by_id(),
            now=self.now,
        )
        for machine in changed.values():
            self._put_machine(machine)
        self.store.delete("failures", session_id)
        self._put_session(recovered)
        return recovered

    def session_health(self, session_id: str, threshold: int) -> Record:
        session = self.session(session_id)
        return health.session_health(
            session,
            now=self.now,
            threshold=threshold,
            failure_reason=self.failure_reason(session),
        )

    # --- tasks ---------------------------------------------------------------------------

    def create_task(self, body: Mapping[str, Any]) -> Record:
        self.session(body["session_id"])
        task_id, counters = self._next_id("task")
        self.store.put("sequences", "ids", counters)
        task = task_rules.new_task(
            task_id=task_id,
            session_id=body["session_id"],
            project_id=body["project_id"],
            github_issue_id=body.get("github_issue_id"),
            metadata=body.get("metadata"),
            now=self.now,
        )
        self.store.put("tasks", task["task_id"], task)
        return task

    def start_task(self, task_id: str) -> Record:
        task = task_rules.start(self.task(task_id), self.now)
        self.store.put("tasks", task_id, task)
        session = self.store.get("sessions", task["session_id"])
        if session is not None:
            self._put_session({**session, "current_task_id": task_id})
        return task

    def complete_task(self, task_id: str) -> Record:
        task = task_rules.complete(self.task(task_id), self.now)
        self.store.put("tasks", task_id, task)
        return task

    def fail_task(self, task_id: str, error_message: str) -> Record:
        task = task_rules.fail(self.task(task_id), error_message, self.now)
        self.store.put("tasks", task_id, task)
        return task

    # --- machines ------------------------------------------------------------------------

    def create_machine(self, body: Mapping[str, Any]) -> Record:
        machine_id = body["machine_id"]
        if self.store.get("machines", machine_id) is not None:
            raise Conflict(f"Machine with ID {machine_id} already exists")
        machine = machine_rules.new_machine(
            machine_id=machine_id,
            hostname=body["hostname"],
            docker_slots=body["docker_slots"],
            now=self.now,
        )
        self._put_machine(machine)
        return machine

    def machine_heartbeat(self, machine_id: str) -> Record:
        machine = machine_rules.heartbeat(self.machine(machine_id), self.now)
        self._put_machine(machine)
        return machine

    def assign_session(self, machine_id: str, session_id: str, slot: int) -> Record:
        """Put the session in ``slot`` of the machine (leaving any slot it held); the session's
        ``machine_id``/``docker_slot`` follow. Only live sessions hold slots."""
        machine = self.machine(machine_id)
        session = self.session(session_id)
        if session["status"] not in session_rules.LIVE:
            raise Invalid.field(
                "session_id",
                f"names a {session['status']} session; only active, paused or stalled sessions"
                " hold docker slots",
            )
        taken = machine_rules.occupy(machine, slot, session_id)
        if session["machine_id"] != machine_id:
            self._release(session)
        self._put_machine(taken)
        self._put_session({**session, "machine_id": machine_id, "docker_slot": slot})
        return taken

    # --- writing -------------------------------------------------------------------------

    def _session_listing(self) -> OrderedIndex:
        return self.store.index("sessions", "state-tracking.sessions.listing", _session_listing)

    def _put_session(self, session: Record) -> None:
        self.store.put("sessions", session["session_id"], session)

    def _put_machine(self, machine: Record) -> None:
        self.store.put("machines", machine["machine_id"], machine)

    def _machines_by_id(self) -> dict[str, Record]:
        return {m["machine_id"]: m for m in self.machines()}

    def _release(self, session: Mapping[str, Any]) -> None:
        """Free whatever slot the session holds on its machine."""
        machine = self.store.get("machines", session["machine_id"])
        if machine is not None and session["session_id"] in machine["assigned_sessions"].values():
            self._put_machine(machine_rules.release(machine, session["session_id"]))

    def _reoccupy(self, session: Record) -> Record:
        """A finished session reopened by an update takes its slot again if it is still free;
        otherwise it runs without a slot (``docker_slot`` null)."""
        slot = session["docker_slot"]
        machine = self.store.get("machines", session["machine_id"])
        if slot is None:
            return session
        if machine is not None:
            try:
                self._put_machine(machine_rules.occupy(machine, slot, session["session_id"]))
                return session
            except RuleError:
                pass
        return {**session, "docker_slot": None}

    def _take_slot(self, session: Mapping[str, Any], slot: int | None) -> None:
        """The slot an update asks for, on the session's machine (None: release it)."""
        if slot is None:
            self._release(session)
            return
        machine = self.store.get("machines", session["machine_id"])
        if machine is None:
            raise Invalid.field(
                "docker_slot", f"cannot be set: machine {session['machine_id']} is not registered"
            )
        try:
            self._put_machine(machine_rules.occupy(machine, slot, session["session_id"]))
        except Conflict:
            raise Invalid.field(
                "docker_slot",
                f"{slot} on machine {machine['machine_id']} is occupied by another session",
            ) from None

    def _record_failure(
        self, session: Mapping[str, Any], reason: str, error_details: Mapping[str, Any] | None
    ) -> None:
        failed_at = session["completed_at"] or format_timestamp(self.now)
        record = recovery.failure_record(session["session_id"], reason, error_details, failed_at)
        self.store.put("failures", session["session_id"], record)

    def _next_id(self, kind: str) -> tuple[str, Record]:
        """A fresh id of ``kind``, never one in use (see ``ids``), and the counters to store
        once the record it names is written."""
        counters = dict(self.store.get("sequences", "ids") or {})
        collection = f"{kind}s"
        while True:
            number = int(counters.get(kind, 0)) + 1
            counters[kind] = number
            minted = mint_uuid(self.seed, kind, number)
            if self.store.get(collection, minted) is None:
                return minted, counters


# --- indexes -----------------------------------------------------------------------------

_ID_KEYS = {"sessions": "session_id", "machines": "machine_id"}


def _silent_sessions() -> OrderedIndex:
    """Active sessions, longest silent first: the stall rule changes a prefix of them."""
    return OrderedIndex(
        _heartbeat_order,
        where=lambda session: session["status"] == "active",
        key_field="session_id",
    )


def _silent_machines() -> OrderedIndex:
    """Online machines, longest silent first: the offline rule changes a prefix of them."""
    return OrderedIndex(
        _heartbeat_order,
        where=lambda machine: machine["status"] == "online",
        key_field="machine_id",
    )


_HEARTBEATS = {"sessions": _silent_sessions, "machines": _silent_machines}


def _heartbeat_order(record: Record) -> tuple[datetime]:
    return (parse_timestamp(record["last_heartbeat"]),)


def _session_listing() -> OrderedIndex:
    """``sessions.newest_first`` (ties in reverse store order) with a bucket per filter value.
    Fields are read as ``sessions.select`` reads them, so a record it would fail on is one the
    index cannot place, and the scan answers (and fails) instead."""
    return OrderedIndex(
        _session_order,
        fields={
            "status": itemgetter("status"),
            "project_id": itemgetter("project_id"),
            "machine_id": itemgetter("machine_id"),
        },
        composites=[
            ("status", "project_id"),
            ("status", "machine_id"),
            ("project_id", "machine_id"),
            ("status", "project_id", "machine_id"),
        ],
        descending=True,
        stable=False,
    )


def _session_order(session: Record) -> tuple[datetime, str]:
    if not isinstance(session["session_id"], str):
        raise TypeError("session_id is not a string")
    return parse_timestamp(session["started_at"]), session["session_id"]


def _task_listing() -> OrderedIndex:
    """``tasks.queue_order`` (ties in store order) with a bucket per filter value."""
    return OrderedIndex(
        _task_order,
        fields={
            "session_id": itemgetter("session_id"),
            "status": itemgetter("status"),
            "project_id": itemgetter("project_id"),
        },
        composites=[
            ("session_id", "status"),
            ("status", "project_id"),
            ("session_id", "project_id"),
            ("session_id", "status", "project_id"),
        ],
    )


def _task_order(task: Record) -> tuple[int, datetime | str]:
    """``tasks.queue_order``'s key: by ``created_at`` (else ``started_at``), undated first."""
    moment = task.get("created_at") or task.get("started_at")
    return (1, parse_timestamp(moment)) if moment else (0, "")
