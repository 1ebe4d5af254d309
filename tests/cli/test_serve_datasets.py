"""``mockgate serve --dataset``: one dataset for every API, or ``API=FILE`` for one of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mockgate.cli import cli

# Files shaped like GET /__mockgate/state (what `mockgate state export` writes).
AGENTLENS_STATE = {"sessions": {}, "timelines": {}}
FASTING_STATE = {"users": {}, "sessions": {}}


@pytest.fixture
def served(monkeypatch) -> dict[str, Any]:
    """The contexts of the mocks ``serve`` would start, by API (nothing listens)."""
    contexts: dict[str, Any] = {}

    def fake_run(given: list[Any], *, on_ready: Any, **_: Any) -> None:
        contexts.update({mock.api: mock.app.context for mock in given})
        on_ready()

    monkeypatch.setattr("mockgate.mockserver.server.serve", fake_run)
    return contexts


def serve(*args: str) -> Result:
    return CliRunner().invoke(cli, ["serve", *args])


def state_file(folder: Path, state: dict[str, Any], name: str = "state.json") -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state))
    return str(path)


def sessions(ctx: Any) -> int:
    return len(ctx.store.snapshot().get("sessions", {}))


def test_a_file_for_one_api_leaves_the_others_on_the_default(served, tmp_path):
    agentlens = state_file(tmp_path, AGENTLENS_STATE)
    result = serve("agentlens", "fasting", "--dataset", f"agentlens={agentlens}")
    assert result.exit_code == 0, result.output
    assert sessions(served["agentlens"]) == 0
    assert sessions(served["fasting"]) > 0  # the demo data
    assert f"dataset demo (agentlens: {agentlens})" in result.stdout


def test_each_api_its_own_file_and_the_rest_a_named_dataset(served, tmp_path):
    agentlens = state_file(tmp_path, AGENTLENS_STATE, "al.json")
    fasting = state_file(tmp_path, FASTING_STATE, "fa.json")
    result = serve(
        "agentlens",
        "fasting",
        "state-tracking",
        "--dataset",
        f"agentlens={agentlens}",
        "--dataset",
        f"fasting={fasting}",
        "--dataset",
        "empty",
    )
    assert result.exit_code == 0, result.output
    assert [sessions(served[api]) for api in ("agentlens", "fasting")] == [0, 0]
    assert served["state-tracking"].options.dataset == "empty"


def test_a_named_dataset_applies_to_every_api(served):
    result = serve("agentlens", "fasting", "--dataset", "empty")
    assert result.exit_code == 0, result.output
    assert [ctx.options.dataset for ctx in served.values()] == ["empty", "empty"]


@pytest.mark.parametrize(
    "folder",
    [pytest.param("plain", id="plain-path"), pytest.param("x=1", id="path-with-equals")],
)
def test_a_plain_file_seeds_the_one_api_served(served, tmp_path, folder):
    agentlens = state_file(tmp_path / folder, AGENTLENS_STATE)
    result = serve("agentlens", "--dataset", agentlens)
    assert result.exit_code == 0, result.output
    assert sessions(served["agentlens"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("agentlens", "fasting", "--dataset", "{file}"),
            "a file holds one API's records and agentlens, fasting are served; say which API "
            "it seeds, e.g. --dataset agentlens={file}",
            id="file-for-several",
        ),
        pytest.param(
            ("agentlens", "--dataset", "fasting={file}"),
            "fasting is not served (serving agentlens)",
            id="unserved-api",
        ),
        pytest.param(
            ("agentlens", "--dataset", "agentlens={file}", "--dataset", "agentlens=empty"),
            "one dataset per API",
            id="twice",
        ),
        pytest.param(
            ("agentlens", "--dataset", "agentlens="), "a dataset name or file", id="empty"
        ),
        pytest.param(
            ("agentlens", "--dataset", "docs", "--dataset", "empty"),
            "one dataset for every API",
            id="two-plain",
        ),
    ],
)
def test_a_dataset_that_fits_no_api_is_refused(served, tmp_path, args, message):
    file = state_file(tmp_path, AGENTLENS_STATE)
    result = serve(*(a.format(file=file) for a in args))
    assert result.exit_code == 2
    assert message.format(file=file) in " ".join(result.output.split())
    assert served == {}
