"""The specs are read in Swagger UI by the mocks' users: each opens with what the API is and how
to use the mock, keeps its modelling choices in ``x-mockgate-modelling``, and no text cites a
path of this repository (meaningless to a user)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mockgate.mockserver.admin import ADMIN
from mockgate.openapi.catalog import ApiSpec

# This repository's folders and files (the admin API's `/__mockgate/` URLs are not one).
REPOSITORY_PATH = re.compile(
    r"\bmockgate/|\bfixtures/|\bshared/|\bspecs/|\btests/|\w\.py\b|REAL-IMPLEMENTATIONS|(?<!\.)\.\./"
)
_PROSE = ("description", "summary", "title")


def prose(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    """Every text written for a reader: descriptions, summaries, titles, ``x-mockgate-`` notes."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if isinstance(value, str) and (key in _PROSE or key.startswith("x-mockgate-")):
                yield here, value
            else:
                yield from prose(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from prose(value, f"{where}/{index}")


def citing_repository_paths(document: dict[str, Any]) -> list[str]:
    return [
        f"{where}: {found.group()}"
        for where, text in prose(document)
        if (found := REPOSITORY_PATH.search(text))
    ]


def test_no_spec_text_cites_a_repository_path(api: ApiSpec):
    assert citing_repository_paths(api.document) == []


def test_no_admin_api_text_cites_a_repository_path():
    assert citing_repository_paths(ADMIN.document) == []


@pytest.mark.parametrize(
    "text",
    [
        "Source: `../shared/api-docs/agentlens-sessions.md`.",
        "the values are in `mockgate/openapi/jsonlimits.py`",
        "as `fixtures/doc-examples/fasting.json` shows",
        "see REAL-IMPLEMENTATIONS.md",
    ],
    ids=["shared", "package", "fixtures", "real-implementations"],
)
def test_a_repository_path_is_found(text):
    assert citing_repository_paths({"info": {"description": text}})


@pytest.mark.parametrize(
    "text",
    [
        "the admin API at `/__mockgate/ui/`",
        "`GET .../evidence` answers",
        "agentkitai/agentlens, `packages/server/src/routes/events.ts`",
    ],
    ids=["admin-url", "ellipsis", "upstream-source"],
)
def test_what_is_not_a_repository_path(text):
    assert citing_repository_paths({"info": {"description": text}}) == []


def test_the_description_opens_with_how_to_use_the_mock(api: ApiSpec):
    info = api.document["info"]
    description = info["description"]
    first, _, _ = description.partition("\n\n")
    assert not first.startswith("#"), "it opens with what the API is"
    assert "## Using the mock" in description
    assert "`/docs/`" in description, "it says where the docs are"
    assert "Authorize" in description or "No authentication" in description
    assert "Modelling choices" not in description
    assert "x-mockgate-modelling" in description, "it says where the modelling choices are"
    assert info["x-mockgate-modelling"].strip()
