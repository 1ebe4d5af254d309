"""Malformed bodies, on every operation that takes one: a 400 (413 when too large) in the API's
own error shape whose message says what is wrong; never a 5xx, never a silently accepted body.

Path parameters name real seeded records, so a refusal is about the body alone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockgate.mockserver.middleware import MAX_BODY_BYTES
from tests.reliability.inprocess import send
from tests.reliability.operations import Op, with_body
from tests.reliability.replies import assert_refused

JSON = "application/json"
DEPTH = 100_000
_SAYS_JSON = ("JSON",)
_SAYS_TYPE = ("Content-Type",)
_SAYS_DEPTH = ("deep", "nest", "depth")

# (id, Content-Type, body, status, words one of which the message must contain)
CASES = [
    ("invalid-json", JSON, b'{"metadata": {"unterminated": [', 400, _SAYS_JSON),
    ("trailing-garbage", JSON, b'{"metadata": {}} trailing', 400, _SAYS_JSON),
    ("nan-is-not-json", JSON, b'{"metadata": {"x": NaN}}', 400, _SAYS_JSON),
    (
        "latin-1-not-utf-8",
        JSON,
        '{"metadata": {"name": "café"}}'.encode("latin-1"),
        400,
        ("UTF-8",),
    ),
    ("utf-16", JSON, '{"metadata": {}}'.encode("utf-16"), 400, ("UTF-8",)),
    ("text-plain", "text/plain", b'{"metadata": {}}', 400, _SAYS_TYPE),
    ("multipart-without-boundary", "multipart/form-data", b'{"metadata": {}}', 400, _SAYS_TYPE),
    ("form", "application/x-www-form-urlencoded", b"metadata=x", 400, _SAYS_TYPE),
    ("deep-array", JSON, b"[" * DEPTH + b"]" * DEPTH, 400, _SAYS_DEPTH),
    ("deep-unclosed", JSON, b"[" * DEPTH, 400, (*_SAYS_DEPTH, "JSON")),
    (
        "deep-in-a-field",
        JSON,
        b'{"metadata": ' + b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH + b"}",
        400,
        _SAYS_DEPTH,
    ),
    ("too-large", JSON, b'{"metadata": "' + b"a" * MAX_BODY_BYTES + b'"}', 413, ("large", "bytes")),
]
EMPTY = ("empty", JSON, b"", 400, ("empty", "required"))


def _cases() -> list[Any]:
    params = []
    for op in with_body():
        cases = [*CASES, EMPTY] if op.body_required else CASES
        params += [pytest.param(op, *case[1:], id=f"{op.id}-{case[0]}") for case in cases]
    return params


@pytest.mark.parametrize(("op", "content_type", "body", "status", "mentions"), _cases())
def test_a_malformed_body_is_refused_in_the_apis_shape(
    apps, credentials, ids, op: Op, content_type, body, status, mentions
):
    app = apps[op.api]
    # A body wrongly accepted changes records: start each case from the seeded state.
    assert send(app, "POST", "/__mockgate/reset", headers={"Content-Type": JSON}).status == 204
    url = op.url(ids[op.api])
    headers = credentials[op.api] | {"Content-Type": content_type}
    reply = send(app, op.method, url, content=body, headers=headers)
    what = f"{op.method} {url} with a {content_type} body {body[:40]!r}... ({len(body)} bytes)"
    assert_refused(op.api, reply, what, status=status, mentions=mentions)


def test_an_integer_beyond_64_bits_in_a_body_is_refused_or_kept_exact(apps, credentials):
    """Found by schemathesis: a slot number of 2**100 was stored and answered as a float
    (``1.2676506002282294e+30``), which breaks the spec's ``integer``."""
    app, huge = apps["state-tracking"], 2**100
    assert send(app, "POST", "/__mockgate/reset", headers={"Content-Type": JSON}).status == 204
    body = {"machine_id": "big-slots", "hostname": "big.local", "docker_slots": [1, huge]}
    reply = send(app, "POST", "/machines", json=body, headers=credentials["state-tracking"])
    what = "POST /machines with docker_slots [1, 2**100]"
    if reply.status == 201:
        assert json.loads(reply.body)["docker_slots"] == [1, huge], (
            f"state-tracking: {what}: accepted, but answered {reply.describe()}"
        )
    else:
        assert_refused("state-tracking", reply, what, status=400, mentions=("docker_slots",))
