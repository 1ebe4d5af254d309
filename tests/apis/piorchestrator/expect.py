"""Helpers for the PiOrchestrator tests: requests with the basic checks, images, clock moves."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageStat

START = datetime(2026, 1, 19, 12, tzinfo=UTC)  # the mock_client fixture's frozen clock
DOCS_NOW = datetime(2026, 2, 20, 10, 10, tzinfo=UTC)  # the documents' queried_at
LIST = "/api/v1/diagnostics/sessions"
IMAGE = "/api/v1/evidence/image"
ENVELOPE = {"success", "status", "data", "timestamp"}
_DOC_EXAMPLES = Path(__file__).parents[3] / "fixtures" / "doc-examples" / "piorchestrator.json"


def doc_example(example_id: str) -> dict[str, Any]:
    examples = json.loads(_DOC_EXAMPLES.read_text("utf-8"))["examples"]
    return next(e["body"] for e in examples if e["id"] == example_id)


def ok(response: Any) -> dict[str, Any]:
    """The ``data`` of a 200 in the success envelope, after the checks every JSON 200 passes."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    body = response.json()
    assert body.keys() == ENVELOPE
    assert (body["success"], body["status"]) == (True, "success")
    return body["data"]


def error(response: Any, status: int) -> dict[str, Any]:
    """The body of an error in the contract's envelope, after the basic checks."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["success"] is False
    assert body["status"] == "error"
    assert body["error"]
    return body


def sessions(client: Any, **params: Any) -> list[dict[str, Any]]:
    return ok(client.get(LIST, params=params))["sessions"]


def evidence(client: Any, session_id: str) -> dict[str, Any]:
    return ok(client.get(f"/api/v1/sessions/{session_id}/evidence"))


def pair(client: Any, session_id: str) -> dict[str, Any]:
    return ok(client.get(f"/api/v1/sessions/{session_id}/evidence/pair"))


def all_captures(client: Any) -> list[dict[str, Any]]:
    found = []
    for session in sessions(client, limit=100):
        found += evidence(client, session["session_id"])["captures"]
    return found


def advance(client: Any, duration: str) -> None:
    """Move the mock's clock through the admin API, as a dashboard developer would."""
    response = client.post("/__mockgate/clock", json={"advance": duration})
    assert response.status_code == 200, response.text


def decode(data: bytes | str) -> Image.Image:
    """A JPEG (bytes, or base64 text) decoded and loaded by Pillow."""
    raw = base64.b64decode(data, validate=True) if isinstance(data, str) else data
    image = Image.open(io.BytesIO(raw))
    assert image.format == "JPEG"
    image.load()
    return image


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two images' pixels, 0-255, over all channels."""
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return sum(stat.mean) / len(stat.mean)


def nulls(value: Any, path: str = "") -> list[str]:
    """Where ``value`` holds a JSON null (the pair's ``before``/``after`` slots excepted)."""
    if value is None:
        return [path]
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None and key in ("before", "after"):
                continue
            found += nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += nulls(item, f"{path}[{index}]")
    return found
