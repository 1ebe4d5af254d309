"""``mockgate state``: a ``mockgate serve --state-file`` file, offline (export, import, reset);
and ``ServedState``, what ``serve`` opens the file with."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from mockgate.apis.base import DATASETS, load_api
from mockgate.core.clock import Clock
from mockgate.core.store import Snapshot
from mockgate.core.store.sqlite import (
    ApiEntry,
    SavedClockError,
    SqliteStore,
    StateFile,
    StateFileError,
)
from mockgate.core.stubs import StubBook
from mockgate.core.timestamps import format_timestamp
from mockgate.openapi.catalog import bundled_apis, get_api

__all__ = ["ServedState", "state"]

_FILE = click.argument("file", metavar="FILE", type=click.Path(dir_okay=False))


class _UnusableClock(click.ClickException):
    """A state file whose saved clock cannot be used: exit 2, like an option that cannot be."""

    exit_code = 2


@click.group()
def state() -> None:
    """Read or change the state file of `mockgate serve --state-file FILE` while no server has
    it open (a running server's state is under its admin API: /__mockgate/state)."""


@state.command("export")
@_FILE
@click.option("--api", metavar="API", help="Only this API's state (default: every API in FILE).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
def export_state(file: str, api: str | None, output: str | None) -> None:
    """Print the state in FILE as JSON.

    Shaped like GET /__mockgate/state; keyed by API when FILE holds several and no --api is
    given."""
    with _opened(file) as state_file:
        apis = _chosen(state_file, api)
        data: object = (
            state_file.records(apis[0])
            if len(apis) == 1
            else {name: state_file.records(name) for name in apis}
        )
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


@state.command("import")
@_FILE
@click.argument("state_json", metavar="STATE.json", type=click.Path(exists=True, dir_okay=False))
@click.option("--api", metavar="API", required=True, help="The API whose state STATE.json is.")
def import_state(file: str, state_json: str, api: str) -> None:
    """Replace an API's state in FILE with STATE.json.

    STATE.json is shaped like GET /__mockgate/state (e.g. from `mockgate state export --api`);
    its records are checked against the spec, like a --dataset file's."""
    with _opened(file) as state_file:
        (name,) = _chosen(state_file, api)
        entry = state_file.apis()[name]
        # An absolute path is never mistaken for a dataset name.
        snapshot = _dataset(name, str(Path(state_json).resolve()), entry.seed, _now(state_file))
        state_file.replace(name, snapshot)
    click.echo(f"{name}: state replaced with {state_json}")


@state.command("reset")
@_FILE
@click.option("--api", metavar="API", help="Only this API (default: every API in FILE).")
@click.option("--seed", type=int, help="Seed with this seed from now on.")
@click.option(
    "--dataset",
    metavar="NAME|FILE",
    help=f"Seed with this dataset from now on ({', '.join(DATASETS)} or a file).",
)
@click.option(
    "--clock-only",
    is_flag=True,
    help="Only discard the saved clock, keep the state: the next `mockgate serve` starts the "
    "clock from --clock/--start.",
)
def reset_state(
    file: str, api: str | None, seed: int | None, dataset: str | None, clock_only: bool
) -> None:
    """Put the state in FILE back to the dataset it was seeded with (or another one).

    A saved clock that cannot be used (outside the clock's range) is discarded too; the clock
    is otherwise kept, as POST /__mockgate/reset keeps it."""
    if clock_only and (api, seed, dataset) != (None, None, None):
        raise click.UsageError("--clock-only resets the clock alone: drop --api/--seed/--dataset")
    with _opened(file) as state_file:
        unusable = False
        try:
            saved = state_file.saved_clock()
            was = "none was saved" if saved is None else f"it was {format_timestamp(saved.now)}"
        except SavedClockError:
            saved, was, unusable = None, "it could not be used", True
        if clock_only or unusable:  # an unusable clock first: nothing is lost discarding it
            _discard_clock(state_file, was)
        if clock_only:
            return
        now = saved.resumed() if saved is not None else datetime.now(UTC)
        entries = state_file.apis()
        seeded = {}
        for name in _chosen(state_file, api):
            entry = ApiEntry(
                entries[name].seed if seed is None else seed,
                entries[name].dataset if dataset is None else _dataset_ref(dataset),
            )
            seeded[name] = entry, _dataset(name, entry.dataset, entry.seed, now)
        # Only once every dataset loaded: a bad one leaves every API as it was.
        for name, (entry, snapshot) in seeded.items():
            state_file.replace(name, snapshot, entry)
            state_file.forget_stubs(name)  # as POST /__mockgate/reset removes them
            click.echo(f"{name}: reset to dataset {entry.dataset}, seed {entry.seed}")


class ServedState:
    """A state file opened by ``mockgate serve``: the clock it keeps, a store per API."""

    def __init__(self, file: StateFile, clock: Clock) -> None:
        self.file = file
        self.clock = clock

    @classmethod
    def open(cls, path: str, clock: Clock, *, sync: str = "normal") -> ServedState:
        """Open (or create) ``path``; the clock comes from the file when it has one, else
        ``clock``. Says on standard output which it is."""
        try:
            file = StateFile.open(path, create=True, sync=sync)
        except (StateFileError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        try:
            saved = file.saved_clock()
        except SavedClockError as exc:
            file.close()
            raise _UnusableClock(str(exc)) from None
        except sqlite3.DatabaseError as exc:  # a damaged file
            file.close()
            raise click.ClickException(f"{path}: {exc}") from None
        if saved is None and not file.apis():
            click.echo(f"state: new state file {path} (synchronous={sync})")
        elif saved is None:
            click.echo(f"state: {path}; no saved clock: started from --clock/--start")
        else:
            clock = saved.clock()
            how = "frozen" if saved.frozen else f"running x{saved.speed:g}"
            click.echo(
                f"state: {path}; clock resumed at {format_timestamp(clock.now())} ({how}); "
                "--clock/--start apply to a new file only"
            )
        file.track_clock(clock)
        return cls(file, clock)

    def store(self, api: str, seed: int, dataset: str) -> tuple[SqliteStore, ApiEntry]:
        """``api``'s store and what it was seeded with: from the file when it has ``api``
        (the options are then only reported when they differ), else seeded and saved."""
        entry = self.file.apis().get(api)
        if entry is None:
            entry = ApiEntry(seed, _dataset_ref(dataset))
            click.echo(f"state: {api} seeded from dataset {dataset} (seed {seed}) and saved")
            seeded = _dataset(api, entry.dataset, entry.seed, self.clock.now())
            return self.file.store(api, seeded, entry), entry
        ignored = (
            ""
            if (seed, _dataset_ref(dataset)) == (entry.seed, entry.dataset)
            else "; --seed/--dataset ignored (`mockgate state reset --seed/--dataset` changes them)"
        )
        click.echo(
            f"state: {api} restored from {self.file.path}, not from the dataset "
            f"(seeded with {entry.dataset}, seed {entry.seed}){ignored}"
        )
        try:
            seeded = _dataset(api, entry.dataset, entry.seed, self.clock.now())
        except click.ClickException as exc:
            # The state is in the file: serve it, with what it holds now as what a reset restores.
            problem = " ".join(line.strip() for line in exc.message.splitlines())
            click.echo(f"state: {api}: a reset returns to the state restored now ({problem})")
            seeded = self.file.records(api)
        return self.file.store(api, seeded, entry), entry

    def stubs(self, api: str) -> StubBook:
        """``api``'s stubs, as saved in the file."""
        try:
            return self.file.stubs(api)
        except StateFileError as exc:
            raise click.ClickException(str(exc)) from None

    def close(self) -> None:
        self.file.close()


@contextmanager
def _opened(path: str) -> Iterator[StateFile]:
    try:
        state_file = StateFile.open(path)
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield state_file
    except SavedClockError as exc:
        raise _UnusableClock(str(exc)) from None
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.DatabaseError as exc:  # a damaged file
        raise click.ClickException(f"{path}: {exc}") from None
    finally:
        state_file.close()


def _discard_clock(state_file: StateFile, was: str) -> None:
    state_file.forget_clock()
    click.echo(
        f"clock: discarded ({was}); the next `mockgate serve` starts it from --clock/--start"
    )


def _chosen(state_file: StateFile, api: str | None) -> list[str]:
    """The APIs a command acts on: ``api``, or every API in the file."""
    held = list(state_file.apis())
    if api is not None and api not in held:
        if api not in bundled_apis():
            known = ", ".join(bundled_apis())
            raise click.BadParameter(f"{api!r}: bundled APIs are {known}", param_hint="--api")
        raise click.ClickException(
            f"{state_file.path} holds no state of {api} (it has: {', '.join(held) or 'none'}); "
            f"serve it once with `mockgate serve {api} --state-file {state_file.path}`"
        )
    if not held:
        raise click.ClickException(f"{state_file.path} holds no API's state yet")
    return [api] if api is not None else held


def _now(state_file: StateFile) -> datetime:
    """The virtual now of the file's clock, as a server started now would have it."""
    saved = state_file.saved_clock()
    return saved.resumed() if saved is not None else datetime.now(UTC)


def _dataset_ref(dataset: str) -> str:
    """How a dataset is saved: a file by absolute path, so `mockgate state reset` finds it from
    any directory."""
    return dataset if dataset in DATASETS else str(Path(dataset).resolve())


def _dataset(api: str, dataset: str, seed: int, now: datetime) -> Snapshot:
    # Here, not at the top: it loads YAML and schema validators, which `mockgate --help` need not.
    from mockgate.apis.datasets import DatasetError, load_dataset

    try:
        return load_dataset(load_api(api), get_api(api), dataset, seed=seed, now=now)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
