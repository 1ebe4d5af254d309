"""``mockgate serve --reload``: edits to a spec or a dataset file reach the running mocks.

A watcher task on the servers' event loop (watchfiles) follows each served API's spec file, the
files it ``$ref``s, and the ``--dataset FILE``. On a change the API is rebuilt off the loop with
``create_app`` while the old app keeps serving, then swapped in at once (``SwappableApp``): a
request is served entirely by the old app or entirely by the new one.

What survives a reload:

- **A spec edit** rebuilds the API on the same store and clock; its journal, faults, scenario
  and start time carry over (what the API's own middleware counts, e.g. rate-limit windows,
  starts afresh). Records of the API's own collections (``MockApi.record_schemas``) that no
  longer validate against the new spec's schema are dropped, each logged with why; internal
  collections have no schema and are kept as they are.
- **A spec that does not load** (YAML error, a ``speccheck`` problem, a schema the mock stores
  its records as gone, an app that fails to build) changes nothing: the old app keeps serving,
  the problems are logged where they are (``file:line:col``), and a later save that fixes the
  file reloads.
- **A dataset-file edit** is a 3-way merge of the old file, the new file and the current state,
  record by record (``merge_dataset``): a record nobody changed while serving follows the file
  (changed, added, or gone with it); a record created or changed while serving (by clients, or
  by the API's own clock-driven behaviour) is kept and wins over the file's version; a record
  deleted while serving stays deleted. The result is then held to the spec as above. With the
  in-memory store, the new app gets a new store seeded with the new file, so
  ``POST /__mockgate/reset`` returns to it (a write by a request still running on the old app at
  the swap goes to the old store); a store passed in (``--state-file``) is kept, and its reset
  returns to what it was seeded with. A file with problems changes nothing.

Each reload logs one line: what changed and how many records were kept and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchfiles import Change, awatch

from mockgate.apis.base import DATASETS, MockApi
from mockgate.apis.context import MockContext
from mockgate.apis.datasets import DatasetError, load_dataset
from mockgate.core import yamltext
from mockgate.core.store import Snapshot
from mockgate.mockserver.app import context_of
from mockgate.openapi.catalog import ApiSpec
from mockgate.openapi.speccheck import check_spec

__all__ = [
    "Build",
    "Invalid",
    "Merge",
    "Reloader",
    "SwappableApp",
    "invalid_records",
    "merge_dataset",
    "spec_files",
]

log = logging.getLogger("mockgate.reload")

# ``create_app`` for one API with ``mockgate serve``'s options bound, called with the spec to
# serve: as it is after a dataset edit, with ``store=`` (the running one) after a spec edit.
Build = Callable[..., Any]


class SwappableApp:
    """An ASGI app that hands each request to ``app``; assigning ``app`` swaps it atomically
    (requests already running finish on the app that took them)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class Merge:
    """The state after a dataset-file edit, and where its records came from."""

    state: Snapshot
    from_file: int  # as the new file has them: unchanged while serving, or new in the file
    kept: int  # created or changed while serving
    removed: int  # unchanged while serving, and gone from the new file


def merge_dataset(old: Snapshot, new: Snapshot, current: Snapshot) -> Merge:
    """The 3-way merge of the file the store was seeded with (``old``), the edited file
    (``new``) and the store's ``current`` state; see the module docstring for the rules."""
    state: Snapshot = {}
    from_file = kept = removed = 0
    for name in dict.fromkeys([*new, *current, *old]):
        was, will, now = old.get(name, {}), new.get(name, {}), current.get(name, {})
        records = {}
        for key in dict.fromkeys([*will, *now]):
            if key in now and (key not in was or now[key] != was[key]):
                records[key] = now[key]
                kept += 1
            elif key in was and key not in now:
                continue  # deleted while serving: stays deleted
            elif key in will:
                records[key] = will[key]
                from_file += 1
            else:
                removed += 1
        state[name] = records
    return Merge(state, from_file, kept, removed)


@dataclass(frozen=True)
class Invalid:
    """A record its API's schema rejects."""

    collection: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.collection}/{self.key}: {self.reason}"


def invalid_records(api: MockApi, resolved: dict[str, Any], state: Snapshot) -> list[Invalid]:
    """Each record of ``api``'s own collections in ``state`` that its schema in the (resolved)
    spec rejects, with why."""
    # Imported here: ~0.3 s, and only a reload needs it.
    from jsonschema.exceptions import best_match
    from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

    schemas = resolved.get("components", {}).get("schemas", {})
    found = []
    for name, schema_name in api.record_schemas.items():
        records = state.get(name, {})
        if not records:
            continue
        validator = OAS30ReadValidator(
            schemas[schema_name], format_checker=OAS30Validator.FORMAT_CHECKER
        )
        for key, record in records.items():
            error = best_match(validator.iter_errors(record))
            if error is not None:
                at = "".join(f"[{p!r}]" for p in error.absolute_path)
                reason = f"not a valid {schema_name}{at}: {error.message}"
                found.append(Invalid(name, key, reason))
    return found


def spec_files(spec: ApiSpec) -> set[Path]:
    """The spec's file and the files it references through ``$ref``, transitively (resolved
    paths). A file that cannot be read or parsed contributes itself only."""
    root = spec.path.resolve()
    found = {root}
    todo = [(root.parent / ref).resolve() for ref in _file_refs(spec.document)]
    while todo:
        file = todo.pop()
        if file in found:
            continue
        found.add(file)
        try:
            document = yamltext.load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yamltext.YAMLError):
            continue
        todo += [(file.parent / ref).resolve() for ref in _file_refs(document)]
    return found


def _file_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = ref.partition("#")[0]
            if target and "://" not in target:
                yield target
        for value in node.values():
            yield from _file_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _file_refs(item)


class ReloadError(Exception):
    """A change that cannot be served: the old app goes on."""


@dataclass
class _Served:
    api: str
    build: Build
    app: SwappableApp
    files: set[Path]  # the spec and the files it $refs
    dataset_file: Path | None
    # The dataset file's records as the store was seeded with them (file datasets only).
    seed: Snapshot | None


@dataclass(frozen=True)
class _Built:
    app: Any
    new_seed: Snapshot | None
    spec_files: set[Path] | None  # when the spec changed: it and the files it $refs now


class Reloader:
    """Watches the files the served mocks are made of and rebuilds a mock when one changes."""

    def __init__(self) -> None:
        self._served: list[_Served] = []

    def add(self, app: Any, build: Build) -> SwappableApp:
        """Serve ``app`` (made by ``build(spec)``) through a ``SwappableApp`` that reloads
        swap."""
        ctx = context_of(app)
        dataset = ctx.options.dataset
        dataset_file = None if dataset in DATASETS else Path(dataset).resolve()
        seed = None
        if dataset_file is not None:
            try:
                seed = load_dataset(
                    ctx.api, ctx.spec, str(dataset_file), seed=ctx.options.seed, now=ctx.started_at
                )
            except (DatasetError, OSError, UnicodeDecodeError) as exc:
                # E.g. a store kept in a state file, whose dataset file is gone or broken since:
                # every record counts as made while serving, so the next edit keeps them all.
                log.warning("mockgate: %s: %s", ctx.name, exc)
                seed = {}
        files = spec_files(ctx.spec)
        served = _Served(ctx.name, build, SwappableApp(app), files, dataset_file, seed)
        self._served.append(served)
        return served.app

    def watched_files(self) -> set[Path]:
        files = {f for served in self._served for f in served.files}
        return files | {s.dataset_file for s in self._served if s.dataset_file is not None}

    async def run(self) -> None:
        """Reload on every change until cancelled (the servers stopping cancels it)."""
        # Its "N changes detected" says less than the line each reload logs.
        logging.getLogger("watchfiles").setLevel(logging.WARNING)
        try:
            while True:
                files = self.watched_files()
                dirs = sorted({f.parent for f in files if f.parent.is_dir()})
                log.info("mockgate: reloading on changes to %s", ", ".join(map(str, sorted(files))))
                async for changes in awatch(*dirs, watch_filter=_one_of(files), recursive=False):
                    await self.apply({Path(path) for _, path in changes})
                    if self.watched_files() != files:
                        break  # the spec's $refs changed: watch the new set
        except Exception:  # the mocks go on serving, without reloads
            log.exception("mockgate: --reload stopped watching files")

    async def apply(self, changed: set[Path]) -> None:
        """Reload every mock made of one of the ``changed`` files (resolved paths)."""
        for served in self._served:
            spec_changed = bool(served.files & changed)
            dataset_changed = served.dataset_file in changed
            if not (spec_changed or dataset_changed):
                continue
            try:
                await self._reload(served, spec_changed, dataset_changed)
            except ReloadError as exc:
                log.error(
                    "mockgate: %s not reloaded, still serving the previous one: %s", served.api, exc
                )
            except Exception:  # a bug must not stop the watcher of every other mock
                log.exception("mockgate: %s not reloaded", served.api)

    async def _reload(self, served: _Served, spec_changed: bool, dataset_changed: bool) -> None:
        began = time.monotonic()
        old = context_of(served.app.app)
        # Building takes up to a second: off the loop, while the old app keeps serving.
        dataset_file = served.dataset_file if dataset_changed else None
        built = await asyncio.to_thread(_build, served, old, spec_changed, dataset_file)
        # From here on, no await: no request runs between reading the state and the swap.
        new = context_of(built.app)
        state = old.store.snapshot()
        merge = None
        if built.new_seed is not None:
            merge = merge_dataset(served.seed or {}, built.new_seed, state)
            state = merge.state
        dropped = invalid_records(new.api, new.spec.resolved, state)
        for record in dropped:
            del state[record.collection][record.key]
            log.warning("mockgate: %s: dropped %s", served.api, record)
        if merge is not None:
            new.store.restore(state)
        else:  # the same store: delete only, so nothing else is touched
            for record in dropped:
                new.store.delete(record.collection, record.key)
        new.store.commit()
        new.journal, new.faults, new.violations = old.journal, old.faults, old.violations
        new.scenario, new.started_at = old.scenario, old.started_at
        # The same seed: a reset still knows whether the clock moved since it was made.
        new.seeded_changes = old.seeded_changes
        served.app.app = built.app
        if built.new_seed is not None:
            served.seed = built.new_seed
        if built.spec_files is not None:
            served.files = built.spec_files
        changes = [new.spec.path] if spec_changed else []
        changes += [dataset_file] if dataset_file is not None else []
        summary = _summary(served.api, changes, merge, state, dropped)
        log.info("mockgate: reloaded %s (%.1f s)", summary, time.monotonic() - began)


def _one_of(files: set[Path]) -> Callable[[Change, str], bool]:
    """A watchfiles filter: changes of ``files`` only (their directories are watched, since an
    editor's save may replace a file rather than write to it)."""
    return lambda _, path: Path(path) in files


def _build(
    served: _Served, old: MockContext, spec_changed: bool, dataset_file: Path | None
) -> _Built:
    """The new app (run off the loop); ``ReloadError`` when the changed files cannot be served."""
    spec = old.spec
    if spec_changed:
        spec = ApiSpec(old.spec.name, old.spec.path)  # a new object parses the file afresh
        _check_spec(spec, old.api)
    new_seed = None
    if dataset_file is not None:
        try:
            new_seed = load_dataset(
                old.api, spec, str(dataset_file), seed=old.options.seed, now=old.started_at
            )
        except (DatasetError, OSError, UnicodeDecodeError) as exc:
            raise ReloadError(str(exc)) from None
    try:
        # A dataset edit gets the store ``build`` makes (seeded with the new file, so a reset
        # returns to it); a spec edit keeps the store as it is.
        app = (
            served.build(spec) if dataset_file is not None else served.build(spec, store=old.store)
        )
    except Exception as exc:
        raise ReloadError(f"the mock could not be built: {exc}") from exc
    return _Built(app, new_seed, spec_files(spec) if spec_changed else None)


def _check_spec(spec: ApiSpec, api: MockApi) -> None:
    try:
        problems = [str(p) for p in check_spec(spec.path)]
    except (OSError, UnicodeDecodeError) as exc:
        raise ReloadError(f"{spec.path}: cannot be read: {exc}") from None
    if not problems:
        schemas = spec.resolved.get("components", {}).get("schemas", {})
        problems = [
            f"{spec.path}: components/schemas/{schema} is gone: {api.name} stores its {name} as "
            f"{schema}"
            for name, schema in api.record_schemas.items()
            if schema not in schemas
        ]
    if problems:
        raise ReloadError("\n  " + "\n  ".join(problems))


def _summary(
    api: str, changes: list[Path], merge: Merge | None, state: Snapshot, dropped: list[Invalid]
) -> str:
    kept = sum(len(records) for records in state.values())
    line = f"{api} after changes to {', '.join(map(str, changes))}: {kept} record(s) kept"
    if merge is not None:
        line += (
            f" ({merge.from_file} as in the file, {merge.kept} changed while serving),"
            f" {merge.removed} removed with the file"
        )
    return f"{line}, {len(dropped)} dropped as invalid"
