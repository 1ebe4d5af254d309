"""Malformed parameters, methods and headers, on every operation that takes parameters, handed
to the in-process mocks as given (``asgi.call``: no client library in between to refuse or
normalise them): a 4xx in the API's own error shape, never a 5xx, never a file's content, never
a split response header."""

from __future__ import annotations

import json

import pytest

from tests.reliability.asgi import call
from tests.reliability.conftest import APIS, raw_headers
from tests.reliability.inprocess import run
from tests.reliability.operations import (
    Op,
    one_per_path,
    operations,
    with_path_params,
    with_query,
)
from tests.reliability.replies import Reply, assert_no_file, assert_refused, error_problems

HUGE = 100 * 1024


def _call(apps, credentials, op: Op, path: str, **kwargs) -> Reply:
    headers = raw_headers(credentials[op.api]) + list(kwargs.pop("headers", ()))
    return run(call(apps[op.api], op.method, path, headers=headers, **kwargs))


def _ops(ops: list[Op]) -> list[pytest.param]:
    return [pytest.param(op, id=op.id) for op in ops]


@pytest.mark.parametrize("op", _ops(with_query()))
def test_a_huge_query_string_is_refused(apps, credentials, ids, op: Op):
    """100 KB of query string: beyond what any real server takes (Node 16 KB, nginx 8 KB), so a
    client that sends it must learn it here (414/431/400), not in production."""
    name = op.text_query or op.query[0][0]
    query = f"{name}=".encode() + b"a" * HUGE
    reply = _call(apps, credentials, op, op.url(ids[op.api]), query=query)
    assert_refused(op.api, reply, f"{op.method} {op.path} with a {HUGE}-byte query string")


@pytest.mark.parametrize("op", _ops(with_query()))
def test_ten_thousand_query_parameters_are_refused_or_ignored_never_a_5xx(
    apps, credentials, ids, op: Op
):
    query = b"&".join(b"p%d=%d" % (n, n) for n in range(10_000))
    reply = _call(apps, credentials, op, op.url(ids[op.api]), query=query)
    _never_a_server_error(op.api, reply, f"{op.method} {op.path} with 10,000 query parameters")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"%ff%fe", id="invalid-utf-8"),
        pytest.param(b"%c0%af", id="overlong-utf-8"),
        pytest.param(b"%ed%a0%80", id="surrogate"),
        pytest.param(b"%00", id="nul"),
        pytest.param(b"%", id="bare-percent"),
    ],
)
@pytest.mark.parametrize("op", _ops([op for op in with_query() if op.text_query]))
def test_a_query_value_that_is_not_utf_8_text_is_never_a_5xx(apps, credentials, ids, op, value):
    """A value that does not decode is refused (400) or treated as an unmatched value; either
    way no 5xx and any refusal in the API's shape."""
    query = f"{op.text_query}=".encode() + value
    reply = _call(apps, credentials, op, op.url(ids[op.api]), query=query)
    _never_a_server_error(op.api, reply, f"{op.method} {op.path}?{query.decode()}")


HUGE_INTEGERS = [
    pytest.param("9223372036854775807", id="int64-max"),
    pytest.param("9223372036854775808", id="int64-max-plus-1"),
    pytest.param(str(10**30), id="1e30"),
    pytest.param(str(-(10**30)), id="-1e30"),
]


INTEGER_PARAMS = [
    pytest.param(op, name, id=f"{op.id}-{name}")
    for op in with_query()
    for name, kind in op.query
    if kind == "integer"
]


@pytest.mark.parametrize("filtered", [False, True], ids=["alone", "with-filters-matching-nothing"])
@pytest.mark.parametrize("value", HUGE_INTEGERS)
@pytest.mark.parametrize(("op", "name"), INTEGER_PARAMS)
def test_an_integer_parameter_beyond_64_bits_is_never_a_5xx(
    apps, credentials, ids, op: Op, name, value, filtered
):
    """Clamped or refused (the spec's x-mockgate-limit says which), never a crash; found by
    schemathesis as ``?tags=x&offset=9223372036854775808``."""
    pairs = [(name, value)]
    if filtered:
        pairs += [(other, "no-such-value") for other, kind in op.query if kind == "text"]
    query = "&".join(f"{key}={v}" for key, v in pairs).encode()
    reply = _call(apps, credentials, op, op.url(ids[op.api]), query=query)
    _never_a_server_error(op.api, reply, f"{op.method} {op.path}?{query.decode()}")


TRAVERSALS = [
    pytest.param("..%2F..%2F..%2Fetc%2Fpasswd", id="encoded-slashes"),
    pytest.param("%2e%2e%2f%2e%2e%2fetc%2fpasswd", id="encoded-dots"),
    pytest.param("..%5C..%5Cwindows%5Cwin.ini", id="backslashes"),
    pytest.param("%252e%252e%252fetc%252fpasswd", id="double-encoded"),
    pytest.param("..%00", id="nul"),
    pytest.param("%ff%fe", id="invalid-utf-8"),
    pytest.param("a" * 10_000, id="10k-id"),
]


@pytest.mark.parametrize("value", TRAVERSALS)
@pytest.mark.parametrize("op", _ops(with_path_params()))
def test_a_hostile_path_parameter_is_a_4xx(apps, credentials, ids, op: Op, value):
    path = op.url(ids[op.api], value)
    body = b"{}" if op.body_required is not None else b""
    reply = _call(
        apps, credentials, op, path, body=body, headers=[(b"content-type", b"application/json")]
    )
    assert_refused(op.api, reply, f"{op.method} {path}")
    assert_no_file(reply)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/../../../../etc/passwd", id="dot-segments"),
        pytest.param("/%2e%2e/%2e%2e/etc/passwd", id="encoded-dot-segments"),
        pytest.param("/static/..%2f..%2f..%2fetc%2fpasswd", id="under-a-prefix"),
    ],
)
@pytest.mark.parametrize("api", APIS)
def test_traversal_outside_any_route_is_a_404(apps, credentials, api, path):
    reply = run(call(apps[api], "GET", path, headers=raw_headers(credentials[api])))
    assert_refused(api, reply, f"GET {path}", status=404)
    assert_no_file(reply)


KEYS = [
    pytest.param("../../../etc/passwd", id="dot-dot"),
    pytest.param("%2e%2e%2f%2e%2e%2fetc%2fpasswd", id="encoded"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("C:%5Cwindows%5Cwin.ini", id="drive"),
    pytest.param("evidence%00.jpg", id="nul"),
    pytest.param("file:///etc/passwd", id="url"),
]


@pytest.mark.parametrize("key", KEYS)
def test_the_image_proxy_refuses_keys_that_escape_its_store(apps, key):
    reply = run(
        call(apps["piorchestrator"], "GET", "/api/v1/evidence/image", query=b"key=" + key.encode())
    )
    assert_refused("piorchestrator", reply, f"GET /api/v1/evidence/image?key={key}")
    assert_no_file(reply)


@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "TRACE", "CONNECT", "PATCH"])
@pytest.mark.parametrize("op", _ops(one_per_path()))
def test_an_unknown_method_is_a_405_with_allow(apps, credentials, ids, op: Op, method):
    path = op.url(ids[op.api])
    reply = run(call(apps[op.api], method, path, headers=raw_headers(credentials[op.api])))
    assert_refused(op.api, reply, f"{method} {path}", status=405, mentions=(method,))
    allowed = reply.header("allow") or ""
    assert op.method in allowed, f"{method} {path}: Allow is {allowed!r}, lacks {op.method}"


INJECTIONS = [
    pytest.param(b"abc\r\nSet-Cookie: injected=1", id="crlf"),
    pytest.param(b"abc\nSet-Cookie: injected=1", id="lf"),
    pytest.param(b"abc\rSet-Cookie: injected=1", id="cr"),
    pytest.param(b"abc\r\n\r\n<html>injected</html>", id="body-split"),
    pytest.param(b"abc\x00def", id="nul"),
]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("api", APIS)
def test_a_request_id_with_line_breaks_never_splits_the_response(
    apps, credentials, ids, api, value
):
    """X-Request-Id is echoed: a value with CR/LF (handed over by a lenient server) must not come
    back as a header of its own, nor in the body's ``request_id``."""
    op = next(op for op in operations(api) if op.method == "GET")
    path = op.url(ids[api])
    headers = [*raw_headers(credentials[api]), (b"x-request-id", value)]
    reply = run(call(apps[api], "GET", path, headers=headers))
    _never_a_server_error(api, reply, f"GET {path} with X-Request-Id {value!r}")
    names = [name.lower() for name, _ in reply.headers]
    assert b"set-cookie" not in names, f"an injected header came back: {reply.headers}"
    broken = [(k, v) for k, v in reply.headers if any(c in v for c in b"\r\n\x00")]
    assert not broken, f"GET {path}: response header values with CR/LF/NUL: {broken}"


def _never_a_server_error(api: str, reply: Reply, what: str) -> None:
    assert reply.status < 500, f"{api}: {what}: a server error: {reply.describe()}"
    if reply.status >= 400:
        problems = error_problems(api, reply)
        assert not problems, f"{api}: {what}: {reply.status} not in the API's shape: {problems}"
    else:
        json.loads(reply.body or b"null")  # a success is still a well-formed answer
