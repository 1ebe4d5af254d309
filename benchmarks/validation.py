"""Time response validation: openapi-schema-validator (pure Python) vs mockgate's ResponseValidator.

For each bundled API with a list response, the items of that operation's named examples are
replicated to a 20-item page; both validators check the same body (first making sure both accept
it, so the valid path is what is timed) and the table gives microseconds per validation.

    /work/venv/bin/python benchmarks/validation.py [--items 20] [--repeat 5]

Figures are the best of ``--repeat`` rounds of an auto-sized loop (``timeit.Timer.autorange``).
"""

from __future__ import annotations

import argparse
import copy
import json
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle, islice
from typing import Any

from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

from mockgate.openapi.catalog import ApiSpec, bundled_apis
from mockgate.openapi.schemas import ResponseValidator, compile_schema


@dataclass(frozen=True)
class ListPage:
    api: str
    operation_id: str
    schema: dict[str, Any]
    body: Any
    items: int


def list_page(api: ApiSpec, size: int) -> ListPage | None:
    """A ``size``-item page of the API's first list operation, built from its named examples."""
    candidates = []
    for item in api.resolved["paths"].values():
        operation = item.get("get")
        content = (operation or {}).get("responses", {}).get("200", {}).get("content", {})
        media = content.get("application/json")
        if not media or not media.get("examples"):
            continue
        examples = [e["value"] for e in media["examples"].values()]
        key, rows = _rows(examples)
        if rows:
            candidates.append((operation["operationId"], media["schema"], examples[0], key, rows))
    if not candidates:
        return None
    # Prefer the operation named as a listing (listSessions) over other arrays.
    candidates.sort(key=lambda c: not c[0].startswith("list"))
    operation_id, schema, first, key, rows = candidates[0]
    page = list(islice(cycle(rows), size))
    body = page if key is None else {**copy.deepcopy(first), key: page}
    return ListPage(api.name, operation_id, schema, body, size)


def _rows(examples: list[Any]) -> tuple[str | None, list[Any]]:
    """The list of objects in the examples (top-level array or an array property), pooled."""
    first = examples[0]
    if isinstance(first, list):
        return None, [row for e in examples for row in e]
    for key, value in first.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return key, [row for e in examples for row in e.get(key, ())]
    return None, []


def best_microseconds(call: Callable[[], object], repeat: int) -> float:
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


@dataclass(frozen=True)
class Row:
    page: ListPage
    first_call_ms: float
    reference_us: float
    ours_us: float
    raw_us: float


def measure(api: ApiSpec, page: ListPage, repeat: int) -> Row:
    reference = OAS30ReadValidator(page.schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    ours = ResponseValidator.from_spec(api.resolved)

    def validate() -> list[str]:
        return ours.validate(page.operation_id, 200, "application/json", page.body)

    started = timeit.default_timer()
    problems = validate()
    first_call_ms = (timeit.default_timer() - started) * 1e3
    reference_problems = [e.message for e in reference.iter_errors(page.body)]
    if problems or reference_problems:
        raise SystemExit(f"{api.name}: the page is not valid: {problems or reference_problems}")
    raw = compile_schema(page.schema, direction="response")
    return Row(
        page,
        first_call_ms,
        reference_us=best_microseconds(lambda: list(reference.iter_errors(page.body)), repeat),
        ours_us=best_microseconds(validate, repeat),
        raw_us=best_microseconds(lambda: raw.is_valid(page.body), repeat),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20, help="items per list page (20)")
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds, best kept (5)")
    args = parser.parse_args(argv)

    header = (
        f"{'API':<16}{'operation':<14}{'items':>6}{'bytes':>7}{'compile':>9}"
        f"{'OAS30Read µs':>14}{'ours µs':>9}{'rs-only µs':>12}{'speed-up':>10}"
    )
    print(header)
    print("-" * len(header))
    for api in bundled_apis().values():
        page = list_page(api, args.items)
        if page is None:
            print(f"{api.name:<16}(no list response with named examples)")
            continue
        row = measure(api, page, args.repeat)
        print(
            f"{page.api:<16}{page.operation_id:<14}{page.items:>6}"
            f"{len(json.dumps(page.body)):>7}{row.first_call_ms:>7.2f}ms"
            f"{row.reference_us:>14.1f}{row.ours_us:>9.2f}{row.raw_us:>12.2f}"
            f"{row.reference_us / row.ours_us:>9.0f}x"
        )
    print(
        "\ncompile: the first validation (convert + compile, then cached). µs: per validation,"
        "\nbest of rounds. ours: ResponseValidator.validate(); rs-only: the compiled"
        " jsonschema-rs validator's is_valid() alone. speed-up: OAS30Read / ours."
    )


if __name__ == "__main__":
    main()
