"""Reproductions run as pasted: curl, through bash, sends exactly the request that was made."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockgate.reports.exchange import Exchange
from mockgate.reports.secrets import Secrets
from tests.live import serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("bash") is None or shutil.which("curl") is None, reason="needs bash, curl"
    ),
]

TOKEN = "st_mockgate_dev_key_0123456789"


async def _echo(request: Request) -> JSONResponse:
    """What arrived: method, raw path and query, headers, body."""
    return JSONResponse(
        {
            "method": request.method,
            "path": request.scope["raw_path"].decode("latin-1"),
            "query": request.scope["query_string"].decode("latin-1"),
            "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw},
            "body": base64.b64encode(await request.body()).decode(),
        }
    )


ECHO = Starlette(
    routes=[Route("/{path:path}", _echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
)


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with serving(ECHO) as url:
        yield url


def _run(command: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        ["bash", "-c", command.replace("curl -sS -i ", "curl -sS ", 1)],
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "")} | env,
        timeout=20,
        check=True,
    )
    echoed: dict[str, object] = json.loads(done.stdout)
    return echoed


# Header values HTTP can carry (visible latin-1, inner spaces), query values of any character.
_HEADER_VALUE = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f"),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    value=st.text(max_size=20),
    header=_HEADER_VALUE,
    body=st.none() | st.binary(max_size=64),
    secret_in_body=st.booleans(),
)
def test_the_reproduction_sends_the_same_request(
    echo_url: str, method: str, value: str, header: str, body: bytes | None, secret_in_body: bool
) -> None:
    """Brackets and braces in the URL (curl's globbing is off), any byte in the body (NUL and
    invalid UTF-8 included), quotes and $ in header values: all arrive as they were sent, the
    credential from its variable."""
    if body is not None and secret_in_body:
        body += TOKEN.encode()
    query = f"tags[]={quote(value, safe='')}&x={{y}}"
    exchange = Exchange(
        operation_id="op",
        method=method,
        path="/items/{id}",
        url=f"{echo_url}/items/a%20b?{query}",
        status=200,
        response_headers={},
        content=b"",
        headers={"Authorization": f"Bearer {TOKEN}", "X-Note": header, "Content-Type": "x/y"},
        request_content=body,
    )
    command = exchange.curl(Secrets.of((TOKEN,)))
    assert TOKEN not in command
    echoed = _run(command, {"MOCKGATE_API_KEY": TOKEN})
    assert (echoed["method"], echoed["path"], echoed["query"]) == (method, "/items/a%20b", query)
    headers = echoed["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-note"] == header
    assert base64.b64decode(str(echoed["body"])) == (body or b"")


def test_a_json_body_goes_as_valid_json(echo_url: str) -> None:
    """A body known only as a value (a probe's) is sent as JSON, with its Content-Type."""
    exchange = Exchange(
        operation_id="op",
        method="POST",
        path="/t",
        url=f"{echo_url}/t",
        status=201,
        response_headers={},
        content=b"",
        body={"name": 'it\'s "quoted" $HOME `x` !', "n": [1, None]},
    )
    echoed = _run(exchange.curl(), {})
    assert json.loads(base64.b64decode(str(echoed["body"]))) == exchange.body
    headers = echoed["headers"]
    assert isinstance(headers, dict)
    assert headers["content-type"] == "application/json"
