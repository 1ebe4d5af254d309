"""Seed data of the state-tracking mock: ``demo`` (generated), ``docs`` (the document's records)
and ``empty``. Each is a complete store snapshot (see ``tracker`` for the collections).

**demo** (``generate``) is fully determined by ``(seed, now)`` (one ``random.Random(seed)`` and
one ``Faker`` seeded with it) and consistent:

- the document's identifiers exist, so its curl workflows run unchanged against a fresh demo:
  project ``123``, machines ``macbook-pro-m1`` (slots 1-4, slots 1 and 2 free) and
  ``macbook-air-m2`` (slots 1-2, slot 2 free), the first two machines registered;
- six machines: four online (one of which has gone silent and goes offline 10-60 s after
  start), one offline, one in maintenance;
- sixteen sessions in every status: active (one has gone silent and stalls 10-100 s after start),
  paused, stalled (one on the offline machine), completed, failed (with failure records),
  archived; live ones hold their slots on the machines' maps, finished ones hold none;
- tasks in every status, consistent with their session: a live session has completed tasks,
  its current task in progress and pending ones queued; a failed session's current task failed;
  the paused session's current task is ``blocked`` (started, then blocked), and so are about a
  quarter of the other live sessions' queued tasks; most tasks have a ``task_name``, about one in
  five has none (null), as tasks created from the document's example;
- timestamps in order: machines registered before any session started; ``started_at`` <=
  ``last_heartbeat`` <= ``completed_at`` < ``archived_at`` <= now; task ``created_at`` <=
  ``started_at`` <= ``completed_at`` <= ``updated_at`` within their session's run;
- the running sessions and machines keep heartbeating as the clock runs (``pulses``);
- the real server's fields: each machine has ``metadata`` (its OS, CPU and memory, as the real
  server's example has them) and ``updated_at`` (its last heartbeat); each session
  ``created_at`` (its start) and ``updated_at`` (its last change: last heartbeat, completion or
  archiving).

**docs** (``docs_dataset``): the records of the document's examples, read from
``fixtures/doc-examples/state-tracking.json``: session ``550e8400-...`` (active, current task
``task-uuid-456``), task ``task-uuid-456`` (in progress), machine ``macbook-pro-m1`` (slot 1
held by the session), project ``123``; plus what the document refers to without showing it:
``task-uuid-455`` (the completed task failure-info names) and ``macbook-air-m2`` (the recovery
workflow's target; offline since 10:30, so ``GET /machines?status=online`` and
``/machines/available`` still answer exactly as documented). Its times are the document's
(2026-01-19, around 12:00Z): with ``--clock frozen`` the documented answers reproduce (those
that depend on time after moving the clock as the example did, e.g. +15 s for the heartbeat).

The docs records are the document's, without the real server's fields: the answers fill them in
(``sessions.view``, ``machines.view``).

**empty**: no sessions, tasks or machines, but the project catalogue (project ``123``, which
``by-project`` then knows before any session of it exists).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import pulses
from mockgate.apis.state_tracking.recovery import failure_record
from mockgate.core.resources import fixtures_dir
from mockgate.core.store import Record, Snapshot
from mockgate.core.timestamps import format_timestamp

__all__ = [
    "DOC_PROJECT",
    "RECORD_COLLECTIONS",
    "docs_dataset",
    "empty_dataset",
    "generate",
    "settings",
]

DOC_PROJECT = "123"
RECORD_COLLECTIONS = ("sessions", "tasks", "machines")

# (status, has a pulse, seconds since the last heartbeat: (low, high))
_SESSION_PLAN = (
    ("active", True, (1, 59)),
    ("active", True, (1, 59)),
    ("active", True, (1, 59)),
    ("active", False, (200, 290)),  # goes silent: stalls 10-100 s after start
    ("paused", True, (1, 59)),
    ("stalled", False, (6 * 60, 90 * 60)),
    ("stalled", False, (6 * 60, 90 * 60)),  # on the offline machine
    ("completed", False, None),
    ("completed", False, None),
    ("completed", False, None),
    ("completed", False, None),
    ("failed", False, None),
    ("failed", False, None),
    ("archived", False, None),
    ("archived", False, None),
    ("archived", False, None),
)
_MACHINE_PREFIXES = ("linux-builder", "gpu-box", "mac-mini", "workstation", "ci-runner")
_FAILURES = (
    ("Claude process crashed unexpectedly", "ERR_CLAUDE_CRASH", 1),
    ("Docker container ran out of memory", "ERR_OOM", 137),
    ("Lost connection to the machine", "ERR_CONNECTION_LOST", None),
    ("VS Code extension host terminated", "ERR_EXTENSION_HOST", 2),
)
_TASK_ERRORS = (
    "GitHub API rate limit exceeded",
    "Tests failed: 3 failing, 41 passing",
    "Docker container exited with code 137",
    "Claude API request timed out",
)
_VERSIONS = (("1.85.0", "0.1.0"), ("1.86.2", "0.1.1"), ("1.87.1", "0.2.0"))
_LINUX = ("Ubuntu 22.04", "Ubuntu 24.04", "Debian 12", "Fedora 40")
_MACS = {"macbook-pro-m1": ("macOS 14.2", 10, 32), "macbook-air-m2": ("macOS 14.2", 8, 16)}
_TASK_NAMES = (
    "Implement user authentication",
    "Add pagination to the task list",
    "Fix flaky heartbeat test",
    "Migrate settings to the new schema",
    "Write API reference for sessions",
    "Upgrade NestJS to the next major",
    "Handle docker slot release on crash",
    "Add retry with backoff to the GitHub client",
    "Refactor machine registration",
    "Speed up the CI test matrix",
    "Show task progress in the status bar",
    "Validate project IDs on session create",
)


def settings() -> dict[str, dict[str, Any]]:
    """The ``settings`` collection every dataset starts with (the defaults, made visible)."""
    return {"thresholds": {"stall_after_seconds": 300, "machine_offline_after_seconds": 300}}


def empty_dataset() -> Snapshot:
    return {
        "sessions": {},
        "tasks": {},
        "machines": {},
        "projects": {DOC_PROJECT: {"project_id": DOC_PROJECT, "name": "GitHub Project 123"}},
        "failures": {},
        "pulses": {},
        "settings": settings(),
    }


def docs_dataset() -> Snapshot:
    """The document's records (see the module)."""
    path = fixtures_dir() / "doc-examples" / "state-tracking.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    examples = {example["id"]: example["body"] for example in document["examples"]}
    session = examples["get-session-200"]
    (in_progress,) = examples["list-tasks-200"]
    (machine,) = examples["list-machines-200"]
    done: Record = {
        "task_id": "task-uuid-455",
        "session_id": session["session_id"],
        "project_id": session["project_id"],
        "status": "completed",
        "github_issue_id": "455",
        "created_at": "2026-01-19T11:06:00.000Z",
        "started_at": "2026-01-19T11:06:05.000Z",
        "completed_at": "2026-01-19T11:06:55.000Z",
        "error_message": None,
        "metadata": {},
    }
    air: Record = {
        "machine_id": "macbook-air-m2",
        "hostname": "macbook-air.local",
        "status": "offline",
        "docker_slots": [1, 2],
        "assigned_sessions": {"1": None, "2": None},
        "last_heartbeat": "2026-01-19T10:30:00.000Z",
        "created_at": "2026-01-19T10:00:00.000Z",
    }
    snapshot = empty_dataset()
    snapshot["sessions"] = {session["session_id"]: session}
    snapshot["tasks"] = {done["task_id"]: done, in_progress["task_id"]: in_progress}
    snapshot["machines"] = {machine["machine_id"]: machine, air["machine_id"]: air}
    return snapshot


def generate(seed: int, now: datetime) -> Snapshot:
    """The demo dataset for ``(seed, now)`` (see the module)."""
    if now.tzinfo is None:
        raise ValueError("now is a naive datetime: pass an aware one (e.g. UTC)")
    return _Demo(seed, now).build()


class _Demo:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        # Task names and blocked tasks draw from a stream of their own: the rest of what a seed
        # gives stays as it was before tasks had them.
        self.task_rng = random.Random(f"{seed}:tasks")
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.now = now - timedelta(microseconds=now.microsecond % 1000)
        self.snapshot = empty_dataset()
        self.registered = self.now - timedelta(days=30)

    def build(self) -> Snapshot:
        projects = self._projects()
        machines = self._machines()
        online = [m for m in machines if m["status"] == "online"]
        offline = next(m for m in machines if m["status"] == "offline")
        # Slots running sessions may take: never slots 1-2 of macbook-pro-m1 nor slot 2 of
        # macbook-air-m2 (the document's workflows need them free).
        reserved = {("macbook-pro-m1", 1), ("macbook-pro-m1", 2), ("macbook-air-m2", 2)}
        free = [
            (m, slot)
            for m in online
            for slot in m["docker_slots"]
            if (m["machine_id"], slot) not in reserved
        ]
        self.rng.shuffle(free)
        first_of: set[str] = set()
        for index, (status, beating, silence) in enumerate(_SESSION_PLAN):
            if status not in first_of:
                project = DOC_PROJECT  # project 123 has a session in every status
                first_of.add(status)
            else:
                project = self.rng.choice(projects)
            if status in ("active", "paused", "stalled"):
                machine, slot = (offline, self._any_slot(offline)) if index == 6 else free.pop()
                session = self._live(status, project, machine, slot, silence, beating)
                machine["assigned_sessions"][str(slot)] = session["session_id"]
            else:
                machine = self.rng.choice(machines)
                session = self._finished(status, project, machine, self._any_slot(machine))
            self.snapshot["sessions"][session["session_id"]] = session
        for machine in machines:
            machine["assigned_sessions"] = machine_rules.slot_map(
                machine["docker_slots"], machine["assigned_sessions"]
            )
            # Drawn last, so the rest of the demo is what it was before machines had metadata.
            machine["metadata"] = self._machine_metadata(machine["machine_id"])
            machine["updated_at"] = machine["last_heartbeat"]
            self.snapshot["machines"][machine["machine_id"]] = machine
        return self.snapshot

    # --- reference data ------------------------------------------------------------------

    def _projects(self) -> list[str]:
        ids = [DOC_PROJECT]
        while len(ids) < 4:
            candidate = str(self.rng.randint(100, 9999))
            if candidate not in ids:
                ids.append(candidate)
        for project_id in ids:
            name = "GitHub Project 123" if project_id == DOC_PROJECT else self.fake.catch_phrase()
            self.snapshot["projects"][project_id] = {"project_id": project_id, "name": name}
        return ids

    def _machines(self) -> list[dict[str, Any]]:
        found = [
            self._machine("macbook-pro-m1", "macbook.local", [1, 2, 3, 4], "online"),
            self._machine("macbook-air-m2", "macbook-air.local", [1, 2], "online"),
        ]
        prefixes = self.rng.sample(_MACHINE_PREFIXES, 4)
        for prefix, status in zip(
            prefixes, ("online", "silent", "offline", "maintenance"), strict=True
        ):
            machine_id = f"{prefix}-{self.rng.randint(1, 99):02d}"
            hostname = f"{machine_id}.{self.fake.domain_word()}.internal"
            slots = list(range(1, self.rng.randint(3, 6) + 1))
            found.append(self._machine(machine_id, hostname, slots, status))
        return found

    def _machine(
        self, machine_id: str, hostname: str, slots: list[int], status: str
    ) -> dict[str, Any]:
        silence = {
            "online": (1, 59),
            "silent": (240, 290),
            "offline": (20 * 60, 120 * 60),
            "maintenance": (60, 30 * 60),
        }[status]
        heard = self.now - timedelta(seconds=self.rng.randint(*silence))
        if status == "online":
            self._pulse("machine", machine_id, heard)
        return {
            "machine_id": machine_id,
            "hostname": hostname,
            "status": "online" if status == "silent" else status,
            "docker_slots": slots,
            "assigned_sessions": {},
            "last_heartbeat": format_timestamp(heard),
            "created_at": format_timestamp(self.registered),
        }

    def _machine_metadata(self, machine_id: str) -> dict[str, Any]:
        os_name, cores, memory = _MACS.get(machine_id) or (
            self.rng.choice(_LINUX),
            self.rng.choice((4, 8, 16, 32)),
            self.rng.choice((16, 32, 64, 128)),
        )
        return {"os": os_name, "cpu": f"{cores} cores", "memory": f"{memory}GB"}

    def _any_slot(self, machine: dict[str, Any]) -> int:
        slot: int = self.rng.choice(machine["docker_slots"])
        return slot

    def _pulse(self, kind: str, record_id: str, since: datetime) -> None:
        record = pulses.pulse(kind, record_id, since)
        self.snapshot["pulses"][pulses.key(kind, record_id)] = record

    # --- sessions and their tasks --------------------------------------------------------

    def _live(
        self,
        status: str,
        project: str,
        machine: dict[str, Any],
        slot: int,
        silence: tuple[int, int] | None,
        beating: bool,
    ) -> dict[str, Any]:
        assert silence is not None
        heard = self.now - timedelta(seconds=self.rng.randint(*silence))
        started = heard - timedelta(minutes=self.rng.randint(20, 6 * 60))
        session = self._session(status, project, machine, slot, started, heard)
        if beating:
            self._pulse("session", session["session_id"], heard)
        done = self.rng.randint(1, 4)
        plan = ["completed"] * done + ["in_progress"] + ["pending"] * self.rng.randint(1, 3)
        session["current_task_id"] = self._tasks(session, plan, started, heard)
        self._block(session, heard)
        if status == "active" and self.rng.random() < 0.4:
            session["recovery_attempts"] = self.rng.randint(1, 3)
        session["updated_at"] = session["last_heartbeat"]
        return session

    def _finished(
        self, status: str, project: str, machine: dict[str, Any], slot: int
    ) -> dict[str, Any]:
        ended = self.now - timedelta(minutes=self.rng.randint(90, 5 * 24 * 60))
        started = ended - timedelta(minutes=self.rng.randint(20, 6 * 60))
        heard = ended - timedelta(seconds=self.rng.randint(5, 50))
        failed = status == "failed" or (status == "archived" and self.rng.random() < 0.5)
        session = self._session(status, project, machine, slot, started, heard)
        session["completed_at"] = format_timestamp(ended)
        done = self.rng.randint(1, 5)
        if failed:
            plan = ["completed"] * done + ["failed"] + ["pending"] * self.rng.randint(0, 2)
            reason, code, exit_code = self.rng.choice(_FAILURES)
            session["metadata"]["failure_reason"] = reason
            session["recovery_attempts"] = self.rng.choice((0, 0, 1, 2))
            if status == "failed":
                details = {"error_code": code} | (
                    {} if exit_code is None else {"exit_code": exit_code}
                )
                self.snapshot["failures"][session["session_id"]] = failure_record(
                    session["session_id"], reason, details, session["completed_at"]
                )
        else:
            plan = ["completed"] * done
            if done > 1 and self.rng.random() < 0.3:
                plan[self.rng.randrange(done - 1)] = "failed"  # a failed task, then more work
        session["current_task_id"] = self._tasks(session, plan, started, heard)
        session["updated_at"] = session["completed_at"]
        if status == "archived":
            archived = ended + timedelta(minutes=self.rng.randint(1, 60))
            session["archived_at"] = session["updated_at"] = format_timestamp(
                min(archived, self.now)
            )
        return session

    def _session(
        self,
        status: str,
        project: str,
        machine: dict[str, Any],
        slot: int,
        started: datetime,
        heard: datetime,
    ) -> dict[str, Any]:
        vscode, extension = self.rng.choice(_VERSIONS)
        return {
            "session_id": self._uuid(),
            "project_id": project,
            "machine_id": machine["machine_id"],
            "docker_slot": slot,
            "status": status,
            "started_at": format_timestamp(started),
            "completed_at": None,
            "last_heartbeat": format_timestamp(heard),
            "current_task_id": None,
            "recovery_attempts": 0,
            "metadata": {"vscode_version": vscode, "extension_version": extension},
            "created_at": format_timestamp(started),
        }

    def _tasks(
        self, session: dict[str, Any], plan: list[str], start: datetime, end: datetime
    ) -> str | None:
        """Tasks for ``plan`` (statuses in work order) within ``start``..``end``; the id of the
        session's current task (the last one started), or None."""
        worked = [s for s in plan if s != "pending"]
        span = (end - start) / max(1, len(worked))
        current = None
        for index, status in enumerate(plan):
            task_id = self._uuid()
            if status == "pending":
                created, began, finished = start + timedelta(seconds=index + 1), None, None
            else:
                created = start + span * index
                began = created + span / 10
                finished = created + span * 9 / 10 if status in ("completed", "failed") else None
                current = task_id
            issue = self.rng.randint(1, 999)
            named = self.task_rng.random() >= 0.2
            self.snapshot["tasks"][task_id] = {
                "task_id": task_id,
                "session_id": session["session_id"],
                "project_id": session["project_id"],
                "task_name": self.task_rng.choice(_TASK_NAMES) if named else None,
                "status": status,
                "github_issue_id": None if self.rng.random() < 0.15 else str(issue),
                "created_at": format_timestamp(created),
                "updated_at": format_timestamp(finished or began or created),
                "started_at": format_timestamp(began) if began else None,
                "completed_at": format_timestamp(finished) if finished else None,
                "error_message": self.rng.choice(_TASK_ERRORS) if status == "failed" else None,
                "metadata": {},
            }
        return current

    def _block(self, session: dict[str, Any], heard: datetime) -> None:
        """Block the paused session's current task, or about a quarter of another live session's
        queued ones; the block is as recent as the session's last heartbeat."""
        for task in self.snapshot["tasks"].values():
            if task["session_id"] != session["session_id"]:
                continue
            if session["status"] == "paused":
                blocked = task["task_id"] == session["current_task_id"]
            else:
                blocked = task["status"] == "pending" and self.task_rng.random() < 0.25
            if blocked:
                task["status"] = "blocked"
                task["updated_at"] = format_timestamp(heard)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
