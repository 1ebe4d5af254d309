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

**Collections.** ``sessions``, ``tasks``, ``machines`` hold the API's records; internal ones:
``projects`` (the known GitHub projects: sessions can only be created for those, and for
projects that already have sessions), ``failures`` (reason and details of failed sessions, see
``recovery``), ``pulses``, ``settings`` (record ``thresholds``: ``stall_after_seconds``,
``machine_offline_after_seconds``; both 300 when absent) and ``sequences`` (record ``ids``: how
many ids of each kind were minted, see ``ids``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mockserver.apis.state_tracking import health, pulses, recovery
from mockserver.apis.state_tracking import machines as machine_rules
from mockserver.apis.state_tracking import sessions as session_rules
from mockserver.apis.state_tracking import tasks as task_rules
from mockserver.apis.state_tracking.ids import mint_uuid
from mockserver.apis.state_tracking.rules import Conflict, Invalid, NotFound, RuleError
from mockserver.store import Store
from mockserver.timestamps import format_timestamp

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
        """Apply pulses, then the stall and offline rules, to every record; write changes."""
        beating = {pulses.key(p["kind"], p["id"]): p for p in self.store.values("pulses")}
        for kind, collection, id_key, settle in (
            ("machine", "machines", "machine_id", self._settle_machine),
            ("session", "sessions", "session_id", self._settle_session),
        ):
            for record in self.store.values(collection):
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
        return self.store.get("projects", project_id) is not None or any(
            s["project_id"] == project_id for s in self.sessions()
        )

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
