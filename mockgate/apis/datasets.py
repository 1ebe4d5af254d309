"""The state a mock starts with: a named dataset of its API, or a user's JSON/YAML file.

A dataset file has the shape of the admin API's ``GET /__mockgate/state``: an object of
collections, each an object of records keyed by id. Records of the collections an API declares
(``MockApi.record_schemas``) are checked against the spec's schema, and every problem is reported
with its line in the file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from mockgate.apis.base import DATASETS, MockApi
from mockgate.core import yamltext
from mockgate.core.store import Snapshot
from mockgate.openapi.catalog import ApiSpec
from mockgate.openapi.speccheck import Problem, locate

__all__ = ["DatasetError", "load_dataset"]


class DatasetError(ValueError):
    """A dataset that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem] | list[str]) -> None:
        self.problems = [str(p) for p in problems]
        super().__init__(f"dataset {source}:\n  " + "\n  ".join(self.problems))


def load_dataset(
    api: MockApi, spec: ApiSpec, dataset: str, *, seed: int, now: datetime
) -> Snapshot:
    """The snapshot for ``dataset``: ``demo``, ``docs``, ``empty`` or the path of a file."""
    if dataset in DATASETS:
        return api.seed(dataset, seed, now)
    path = Path(dataset)
    if not path.is_file():
        raise DatasetError(dataset, [f"not one of {', '.join(DATASETS)} and not a file"])
    return _load_file(api, spec, path)


def _load_file(api: MockApi, spec: ApiSpec, path: Path) -> Snapshot:
    # Imported here: ~0.3 s, and only a dataset file needs it.
    from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

    text = path.read_text(encoding="utf-8")
    try:
        data = yamltext.load(text)
        nodes = yamltext.compose(text)
    except yamltext.YAMLError as exc:
        raise DatasetError(str(path), [f"not valid JSON or YAML: {exc}"]) from None

    def problem(pointer: tuple[str | int, ...], message: str) -> Problem:
        line, column = locate(nodes, pointer)
        return Problem(str(path), pointer, message, line, column)

    if not isinstance(data, dict):
        raise DatasetError(str(path), [problem((), "expected an object of collections")])
    problems = []
    schemas = spec.resolved.get("components", {}).get("schemas", {})
    for name, collection in data.items():
        if not isinstance(collection, dict):
            problems.append(problem((name,), "expected an object of records keyed by id"))
            continue
        schema_name = api.record_schemas.get(name)
        validator = (
            OAS30ReadValidator(schemas[schema_name], format_checker=OAS30Validator.FORMAT_CHECKER)
            if schema_name
            else None
        )
        for key, record in collection.items():
            if not isinstance(record, dict):
                problems.append(problem((name, key), "expected a record (an object)"))
            elif validator is not None:
                for error in validator.iter_errors(record):
                    at = (name, key, *error.absolute_path)
                    problems.append(problem(at, f"not a valid {schema_name}: {error.message}"))
    unknown = set(data) - set(api.record_schemas) - set(api.internal_collections)
    for name in sorted(unknown):
        known = ", ".join(sorted({*api.record_schemas, *api.internal_collections}))
        problems.append(problem((name,), f"unknown collection; {api.name} has {known}"))
    if problems:
        raise DatasetError(str(path), problems)
    snapshot: Snapshot = data  # an object of objects of records: checked above
    return snapshot
