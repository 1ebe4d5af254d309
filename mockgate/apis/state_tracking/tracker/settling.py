"""Settling: bringing the store up to a request's clock before the request reads it.

Simulated heartbeats (``pulses``) come first, then the stall rule for sessions and the offline
rule for machines, with the thresholds of the ``settings`` record ``thresholds``; every record
they change is written. So every answer, and the state the admin API exports after it, agrees
with the clock.

Only the records with a pulse and the silent ones a rule changes are visited: an index of the
live records by last heartbeat (``OrderedIndex``) holds the silent ones at its front, so settling
costs what it changes, not the size of the store. While the store holds a record that index
cannot place (malformed, or keyed other than by its id), every record is visited instead, exactly
as before the index.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import pulses
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.core.store import Record
from mockgate.core.store.index import OrderedIndex
from mockgate.core.timestamps import parse_timestamp

__all__ = ["Settling"]


@dataclass(frozen=True, slots=True)
class Settling:
    """The stall and offline rules at ``records.now``, with the mock's thresholds (seconds)."""

    records: Records
    stall_after: int
    offline_after: int

    @classmethod
    def from_settings(cls, records: Records) -> Settling:
        """With the thresholds the store's settings hold (the rules' defaults when absent)."""
        thresholds = records.store.get("settings", "thresholds") or {}
        return cls(
            records,
            stall_after=int(
                thresholds.get("stall_after_seconds", session_rules.DEFAULT_STALL_AFTER)
            ),
            offline_after=int(
                thresholds.get("machine_offline_after_seconds", machine_rules.DEFAULT_OFFLINE_AFTER)
            ),
        )

    def settle(self) -> None:
        """Apply pulses, then the stall and offline rules, to every record; write changes.

        A record is written only when ``session``/``machine`` return a new object."""
        store = self.records.store
        beating = {pulses.key(p["kind"], p["id"]): p for p in store.values("pulses")}
        for kind, collection, id_key, settle in (
            ("machine", "machines", "machine_id", self.machine),
            ("session", "sessions", "session_id", self.session),
        ):
            for record in self._unsettled(kind, collection, beating, settle):
                current = record
                pulse_key = pulses.key(kind, record[id_key])
                pulse = beating.get(pulse_key)
                if pulse is not None:
                    if record["status"] in pulses.ALIVE[kind]:
                        current = pulses.apply(current, pulse, self.records.now)
                    else:
                        store.delete("pulses", pulse_key)
                current = settle(current)
                if current is not record:
                    store.put(collection, record[id_key], current)

    def session(self, session: Record) -> Record:
        """The session under the stall rule now: the same object when nothing changes."""
        return session_rules.settle(session, self.records.now, self.stall_after)

    def machine(self, machine: Record) -> Record:
        """The machine under the offline rule now: the same object when nothing changes."""
        return machine_rules.settle(machine, self.records.now, self.offline_after)

    def _unsettled(
        self,
        kind: str,
        collection: str,
        beating: Mapping[str, Any],
        settle: Callable[[Record], Record],
    ) -> list[Record]:
        """The records of ``collection`` ``settle`` may change: those with a pulse, then the
        silent ones (records are visited independently, so their order does not matter)."""
        store = self.records.store
        index = store.index(
            collection, f"state-tracking.{collection}.heartbeats", _HEARTBEATS[collection]
        )
        if not index.complete:
            return store.values(collection)
        prefix = f"{kind}:"
        pulsed = (
            store.get(collection, k.removeprefix(prefix)) for k in beating if k.startswith(prefix)
        )
        # Read before anything is written: a write changes the index.
        silent = itertools.takewhile(lambda record: settle(record) is not record, index.select())
        found = {
            r[_ID_KEYS[collection]]: r for r in itertools.chain(pulsed, silent) if r is not None
        }
        return list(found.values())


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
