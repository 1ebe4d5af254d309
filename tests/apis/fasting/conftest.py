from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

from mockgate.openapi.catalog import get_api


def _validator(name: str) -> OAS30ReadValidator:
    schema = get_api("fasting").resolved["components"]["schemas"][name]
    return OAS30ReadValidator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)


@pytest.fixture(scope="session")
def session_validator() -> OAS30ReadValidator:
    """The spec's ``Session`` schema, date-time formats checked."""
    return _validator("Session")


@pytest.fixture(scope="session")
def page_validator() -> OAS30ReadValidator:
    """The spec's ``SessionPage`` schema, date-time formats checked."""
    return _validator("SessionPage")


@pytest.fixture(scope="session")
def spec_examples() -> dict[str, Any]:
    """The named examples of the spec's 200 response, by name."""
    operation = get_api("fasting").operation("GET", "/api/sessions")
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    return {name: example["value"] for name, example in examples.items()}
