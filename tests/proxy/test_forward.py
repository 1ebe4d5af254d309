"""Forwarding's rules: URLs kept as sent, hop-by-hop headers dropped, bodies bounded."""

from __future__ import annotations

import gzip

import pytest

from mockgate.proxy.forward import (
    BodyTooLarge,
    Upstream,
    UpstreamResponse,
    decoded,
    forwardable,
    upstream_headers,
)


@pytest.mark.parametrize(
    ("base", "raw_path", "query", "expected"),
    [
        pytest.param("http://up:3000", b"/sessions", b"", "http://up:3000/sessions", id="plain"),
        pytest.param(
            "http://up:3000/v2/",
            b"/sessions",
            b"limit=5",
            "http://up:3000/v2/sessions?limit=5",
            id="base-path",
        ),
        pytest.param(
            "https://up",
            b"/a%2Fb/%7Ex",
            b"q=%20&r",
            "https://up/a%2Fb/%7Ex?q=%20&r",
            id="encoding-kept",
        ),
    ],
)
def test_the_upstream_url_keeps_the_request_as_sent(base, raw_path, query, expected):
    assert str(Upstream(base).url_for(raw_path, query)) == expected


def test_hop_by_hop_headers_and_those_connection_names_are_dropped():
    raw = [
        (b"Connection", b"close, X-Private"),
        (b"X-Private", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
    ]
    assert forwardable(raw) == [(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")]


def test_the_upstream_learns_who_asked_and_how():
    raw = [(b"host", b"proxy:8080"), (b"x-forwarded-for", b"10.0.0.1"), (b"content-length", b"3")]
    assert upstream_headers(raw, client="127.0.0.1", scheme="http") == [
        (b"x-forwarded-for", b"10.0.0.1, 127.0.0.1"),
        (b"x-forwarded-proto", b"http"),
        (b"x-forwarded-host", b"proxy:8080"),
    ]


def test_a_compressed_body_is_decoded_within_the_bound():
    body = gzip.compress(b"0" * 100_000)  # about 100 bytes that expand a thousandfold
    answer = UpstreamResponse(200, [(b"Content-Encoding", b"gzip")], body)
    assert decoded(answer, 100_000) == b"0" * 100_000
    with pytest.raises(BodyTooLarge):
        decoded(answer, 50_000)
