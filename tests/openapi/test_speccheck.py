"""The spec checker finds each kind of problem and says where it is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mockgate.openapi.speccheck import check_spec

VALID = """\
openapi: 3.0.3
info: {title: Toy, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}, example: abc}
      responses:
        "200":
          description: A thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
              examples:
                documented: {value: {id: abc, size: 3, seen_at: null}}
        "404":
          description: No such thing.
components:
  schemas:
    Thing:
      type: object
      required: [id, size]
      properties:
        id: {type: string}
        size: {type: integer, example: 3}
        seen_at: {type: string, format: date-time, nullable: true}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def only_problem(tmp_path: Path, text: str) -> str:
    problems = check_spec(write(tmp_path, text))
    assert len(problems) == 1, [str(p) for p in problems]
    return str(problems[0])


def test_a_valid_document_has_no_problems(tmp_path):
    assert check_spec(write(tmp_path, VALID)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            ("{value: {id: abc, size: 3, seen_at: null}}", "{value: {id: abc, size: three}}"),
            "toy.yaml:16:17: at paths./things/{id}.get.responses.200.content.application/json"
            ".examples.documented: example does not match its schema at size: 'three' is not of"
            " type 'integer'",
            id="response-example",
        ),
        pytest.param(
            ("size: {type: integer, example: 3}", "size: {type: integer, example: 3.5}"),
            "toy.yaml:26:31: at components.schemas.Thing.properties.size.example: example does"
            " not match its schema at (root): 3.5 is not of type 'integer'",
            id="schema-example",
        ),
        pytest.param(
            ("seen_at: null}}", "seen_at: yesterday}}"),
            "'yesterday' is not a 'date-time'",
            id="format-checked",
        ),
        pytest.param(
            ('"404":', "404:"),
            "toy.yaml:17:9: at paths./things/{id}.get.responses.404: key 404 must be a string:"
            " quote it ('404')",
            id="integer-status-key",
        ),
        pytest.param(
            ("#/components/schemas/Thing", "#/components/schemas/Thingy"),
            "toy.yaml:14:24: at paths./things/{id}.get.responses.200.content.application/json"
            ".schema.$ref: #/components/schemas/Thingy points to nothing in this document",
            id="dangling-ref",
        ),
        pytest.param(
            ("      operationId: getThing\n", ""),
            "toy.yaml:5:5: at paths./things/{id}.get: no operationId",
            id="no-operation-id",
        ),
        pytest.param(
            ('"200":', '"400":'),
            "at paths./things/{id}.get.responses: no 2xx response",
            id="no-2xx",
        ),
        pytest.param(
            ("openapi: 3.0.3", "openapi: 3.1.0"),
            "toy.yaml:1:1: at openapi: version '3.1.0': mockgate serves OpenAPI 3.0.x only",
            id="openapi-3.1",
        ),
        pytest.param(
            ('info: {title: Toy, version: "1"}', "info: {title: Toy}"),
            'toy.yaml:2:1: at info: "version" is a required property',
            id="structural",
        ),
    ],
)
def test_each_problem_is_reported_with_its_location(tmp_path, edit, expected):
    old, new = edit
    assert old in VALID
    assert expected in only_problem(tmp_path, VALID.replace(old, new))


def test_yaml_syntax_errors_are_located(tmp_path):
    assert (
        "toy.yaml:4:1: at (document): not valid YAML: while parsing a flow sequence"
        in only_problem(tmp_path, "openapi: 3.0.3\ninfo: [\npaths: {}\n")
    )
