"""One request's records: the store at one reading of the clock, and the lookups, writes and id
minting every state-tracking operation shares.

A lookup answers the record or ``NotFound`` (with the API's 404 message); a write puts a session
or a machine under its own id, its ``updated_at`` stamped with the request's ``now`` (every
operation writes only what it changed). Nothing here applies a rule: the operations
(``tracker.sessions``, ``.tasks``, ``.machines``, ``.recovery``) and the queries (``listing``)
do, all through the one ``Records`` a ``Tracker`` makes per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mockgate.apis.state_tracking import tasks as task_rules
from mockgate.apis.state_tracking.ids import mint_uuid
from mockgate.apis.state_tracking.rules import NotFound
from mockgate.core.store import Record, Store
from mockgate.core.timestamps import format_timestamp

__all__ = ["Records"]


@dataclass(frozen=True, slots=True)
class Records:
    """The store as one request sees it: ``now`` is that request's clock reading, ``seed`` the
    mock's (the ids it mints derive from it)."""

    store: Store
    now: datetime
    seed: int = 0

    def sessions(self) -> list[Record]:
        return self.store.values("sessions")

    def tasks(self) -> list[Record]:
        return self.store.values("tasks")

    def machines(self) -> list[Record]:
        return self.store.values("machines")

    def machines_by_id(self) -> dict[str, Record]:
        return {m["machine_id"]: m for m in self.machines()}

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

    def session_tasks(self, session_id: str) -> list[Record]:
        return task_rules.select(self.tasks(), session_id=session_id)

    def put_session(self, session: Record) -> Record:
        """Write ``session``; the record as written (stamped)."""
        stamped = {**session, "updated_at": format_timestamp(self.now)}
        self.store.put("sessions", session["session_id"], stamped)
        return stamped

    def put_machine(self, machine: Record) -> Record:
        """Write ``machine``; the record as written (stamped)."""
        stamped = {**machine, "updated_at": format_timestamp(self.now)}
        self.store.put("machines", machine["machine_id"], stamped)
        return stamped

    def next_id(self, kind: str) -> tuple[str, Record]:
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
