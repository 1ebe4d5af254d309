"""The state-tracking service over a ``Store``: one ``Tracker`` per request, each operation one
synchronous step.

The operations read the records they need, apply the pure rules (``sessions``, ``tasks``,
``machines``, ``recovery``, ``health``) and write what changed. They know nothing of HTTP:
``handlers`` parses requests, calls them and shapes the answers. They live in pieces, one module
of this package each (the rules they apply are the modules of the same names one level up), all
working through the request's ``Records`` (``records``: lookups, writes, ids):

- ``tracker.sessions`` (``sessions``): create, update, delete, heartbeat, fail, stall, archive,
  purge;
- ``tracker.tasks`` (``tasks``): create, start, complete, fail, update, soft delete;
- ``tracker.machines`` (``machines``): register, update, take offline, heartbeat, assign, release,
  and the slot bookkeeping;
- ``tracker.recovery`` (``recovery``): failure records, failure and health reports, recovery;
- ``tracker.listing`` (``listing``): the list queries, through store indexes;
- ``tracker.records`` (``records``): single records by id, whole collections, ``now``.

**Why a facade of pieces.** Making a ``Tracker`` is the one entry point: it settles the store
(``settling``) and wires every piece to the same ``Records``, so a handler cannot read unsettled
state or mix two clock readings. Handlers then call the piece an operation belongs to
(``tracker.tasks.start(id_)``); pass-through methods here would repeat every signature a second
time and hide which piece holds the rule.

**Atomicity.** No operation awaits anything, and the handlers call them without awaiting in
between, so on the server's event loop each operation runs to its end before another starts:
the "is this slot free?" check and the write that takes the slot can never interleave with a
concurrent request for the same slot (exactly one of them wins, the others get 409).

**Time.** A ``Tracker`` is made per request with that request's ``now`` and first *settles* the
store (``settling``): simulated heartbeats, then the stall and offline rules. So every answer,
and the state the admin API exports after it, agrees with the clock.

**Collections.** ``sessions``, ``tasks``, ``machines`` hold the API's records; internal ones:
``projects`` (the known GitHub projects: ``by-project`` answers 404 for a project neither in it
nor named by a session; sessions are created for any project), ``failures`` (reason and details
of failed sessions, see ``recovery``), ``pulses``, ``settings`` (record ``thresholds``:
``stall_after_seconds``, ``machine_offline_after_seconds``; both 300 when absent) and
``sequences`` (record ``ids``: how many ids of each kind were minted, see ``ids``).
"""

from __future__ import annotations

from datetime import datetime

from mockgate.apis.state_tracking.tracker.listing import Listing
from mockgate.apis.state_tracking.tracker.machines import MachineOps
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.apis.state_tracking.tracker.recovery import RecoveryOps
from mockgate.apis.state_tracking.tracker.sessions import SessionOps
from mockgate.apis.state_tracking.tracker.settling import Settling
from mockgate.apis.state_tracking.tracker.tasks import TaskOps
from mockgate.core.store import Store

__all__ = ["Tracker"]


class Tracker:
    """The operations of one request, over ``store`` settled to ``now``."""

    def __init__(self, store: Store, now: datetime, *, seed: int = 0) -> None:
        self.records = Records(store, now, seed)
        settling = Settling.from_settings(self.records)
        settling.settle()
        self.listing = Listing(self.records)
        self.machines = MachineOps(self.records)
        self.tasks = TaskOps(self.records)
        self.recovery = RecoveryOps(self.records)
        self.sessions = SessionOps(self.records, settling, self.machines, self.recovery)
