"""A stub held to the spec: the operations it answers for, and its response checked against them.

A contract-first mock must not let a frontend quietly depend on a shape the backend will never
send, so a stub (``mockgate.core.stubs``) is refused unless its response is one the spec allows
for every operation it can answer: a declared status, a body valid against its schema, the
required headers. ``violates_spec: true`` says the violation is deliberate (an outage page, a
field the backend has not shipped yet): the stub is then accepted as it is, and its answers are
not self-validated.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from mockgate.core.stubs import InvalidStub, Stub
from mockgate.openapi.catalog import ApiSpec
from mockgate.openapi.examples import NoExample, choose_example
from mockgate.openapi.routes import RouteTable
from mockgate.openapi.schemas import ResponseValidator

__all__ = ["bind"]


def bind(stub: Stub, spec: ApiSpec, routes: RouteTable, validator: ResponseValidator) -> Stub:
    """``stub`` with the operationIds it may answer and its ``example`` body filled in, once its
    response is checked against each of them; ``InvalidStub`` otherwise."""
    match, response = stub.match, stub.response
    operations = _operations(stub, spec, routes)
    if isinstance(operations, str):
        if not stub.violates_spec:
            raise InvalidStub([operations])
        operations = ()
    if response.example is not None:
        if len(operations) != 1:
            where = f"{match.method or 'any method'} {match.path}"
            raise InvalidStub(
                [
                    f"stub.response.example: {where} is {len(operations)} operations; "
                    "an example needs one: give match.method"
                ]
            )
        try:
            reply = choose_example(
                spec.operation_by_id(operations[0]), status=response.status, name=response.example
            )
        except NoExample as exc:
            raise InvalidStub([f"stub.response.example: {exc}"]) from None
        response = replace(
            response,
            body=reply.body,
            media_type=reply.media_type,
            headers={**reply.headers, **response.headers},
        )
    problems = []
    if not stub.violates_spec:
        headers = {**response.headers, "x-request-id": "set-by-the-middleware"}
        for operation_id in operations:
            found = validator.validate(
                operation_id, response.status, response.media_type, response.body
            )
            found += validator.validate_headers(operation_id, response.status, headers)
            problems += [f"{operation_id}: {problem}" for problem in dict.fromkeys(found)]
    if problems:
        problems.append(
            'add "violates_spec": true to the stub if this answer breaks the spec on purpose'
        )
        raise InvalidStub(problems)
    return replace(stub, response=response, operations=operations)


def _operations(stub: Stub, spec: ApiSpec, routes: RouteTable) -> tuple[str, ...] | str:
    """The operationIds ``stub`` can answer, or why it can answer none."""
    method, path = stub.match.method, stub.match.path
    served = [op for op in spec.operations if op.operation_id]
    on_template = [op for op in served if op.path == path]
    if on_template:
        chosen = [op.operation_id for op in on_template if method in (None, op.method)]
        if chosen:
            return tuple(op for op in chosen if op)
        methods = ", ".join(op.method for op in on_template)
        return f"stub.match: {spec.name} has no {method} operation on {path} (methods: {methods})"
    if "{" not in path:
        resolved = (routes.resolve(m, path) for m in ([method] if method else routes.allowed(path)))
        found = tuple(dict.fromkeys(r[0].operation_id for r in resolved if r))
        if found:
            return found
    templates = sorted({op.path for op in served})
    close = difflib.get_close_matches(path, templates, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return (
        f"stub.match.path: {spec.name} has no operation at {method or 'any method'} {path}; "
        f"{hint}give a path template of the spec or a path one serves, or add "
        '"violates_spec": true to answer a path the spec does not have'
    )
