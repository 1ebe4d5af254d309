"""The faults body of the admin API has a real schema (issue 17, item 7): Swagger UI shows its
fields, and the admin API, which checks requests against it, still takes every fault
``Fault.from_json`` takes and nothing it refuses."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.core.faults import Fault
from mockgate.mockserver.admin import ADMIN
from mockgate.openapi.catalog import get_api

JSON = {"Content-Type": "application/json"}
KNOWN = {op.operation_id for op in get_api("agentlens").operations if op.operation_id}
SCHEMAS = ADMIN.resolved["components"]["schemas"]
EXAMPLES = ADMIN.resolved["paths"]["/faults"]["post"]["requestBody"]["content"]["application/json"][
    "examples"
]

values = st.fixed_dictionaries(
    {},
    optional={
        "operation": st.sampled_from(["listSessions", "*", "", "listSesions", 5, None]),
        "status": st.sampled_from([None, 100, 503, 599, 99, 600, "503", 503.5, True]),
        "delay_ms": st.sampled_from([0, 200, 60_000, 60_001, -1, None, 1.5, False]),
        "times": st.sampled_from([None, 1, 2, 0, -1, "2", 2.5]),
        "body": st.sampled_from([None, {}, {"error": "Database unavailable"}, [], "x"]),
        "staus": st.just(503),
    },
)
bodies = values | st.sampled_from([[], "fault", 3, None])


def accepted(body: object) -> bool:
    try:
        Fault.from_json(body, known_operations=KNOWN)
    except ValueError:
        return False
    return True


def test_the_admin_api_takes_exactly_what_fault_from_json_takes(mock_client):
    client = mock_client("agentlens")

    @settings(max_examples=100, deadline=None)
    @given(body=bodies)
    def check(body: object) -> None:
        response = client.post("/__mockgate/faults", content=json.dumps(body), headers=JSON)
        assert response.status_code == (201 if accepted(body) else 400), response.text
        assert client.delete("/__mockgate/faults", headers=JSON).status_code == 204

    check()


@pytest.mark.parametrize("name", list(EXAMPLES), ids=str)
def test_the_documented_examples_are_faults(mock_client, name):
    example = EXAMPLES[name]["value"]
    assert accepted(example)
    created = mock_client("agentlens").post("/__mockgate/faults", json=example)
    assert created.status_code == 201
    assert set(created.json()) == set(SCHEMAS["ActiveFault"]["required"])


def test_the_schema_names_every_field_of_a_fault_with_its_type():
    schema = SCHEMAS["Fault"]
    assert set(schema["properties"]) == {f.name for f in dataclasses.fields(Fault)}
    assert schema["required"] == ["operation"]
    assert schema["additionalProperties"] is False
    assert all(
        "type" in field and "description" in field for field in schema["properties"].values()
    )


def test_a_listed_fault_has_the_documented_shape(mock_client):
    client = mock_client("agentlens")
    body = {"operation": "*", "delay_ms": 5, "times": 3}
    assert client.post("/__mockgate/faults", json=body).status_code == 201
    (listed,) = client.get("/__mockgate/faults").json()["faults"]
    assert listed == {
        "id": "fault-1",
        "operation": "*",
        "status": None,
        "delay_ms": 5,
        "remaining": 3,
        "body": None,
    }


def test_swagger_ui_is_given_the_fields_of_a_fault_and_of_a_reset(mock_client):
    document = mock_client("agentlens").get("/__mockgate/openapi.json").json()
    fault = document["paths"]["/faults"]["post"]["requestBody"]["content"]["application/json"]
    schema = fault["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert set(schema["properties"]) == {"operation", "status", "delay_ms", "times", "body"}
    reset = document["paths"]["/reset"]["post"]["requestBody"]["content"]["application/json"]
    assert reset["examples"]["clock"]["value"] == {"clock": True}
    clock = document["paths"]["/clock"]["post"]["requestBody"]["content"]["application/json"]
    assert clock["examples"]["now"]["value"] == {"set": "now"}
