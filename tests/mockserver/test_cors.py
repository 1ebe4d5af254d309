"""CORS on the wire: a page on localhost:5173 (or 127.0.0.1:5173) reading the mocks and their
admin API, with and without credentials, and the log line when its browser will refuse."""

from __future__ import annotations

import logging

import pytest

APP = "http://localhost:5173"
SAME_APP = "http://127.0.0.1:5173"  # the same dev server, opened by its address
OTHER = "http://other.test:8080"
AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}
COOKIE = {"Cookie": "theme=dark"}  # what a page's credentialed fetch carries
EXPOSED = "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"


def preflight(origin: str, method: str = "GET", headers: str = "authorization") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize(
    ("listed", "origin", "cookies", "allowed", "credentials"),
    [
        pytest.param(APP, APP, True, APP, True, id="listed-with-cookies"),
        pytest.param(APP, SAME_APP, True, SAME_APP, True, id="listed-by-address"),
        pytest.param(SAME_APP, APP, True, APP, True, id="listed-as-address"),
        pytest.param(APP, APP, False, APP, True, id="listed-without-cookies"),
        pytest.param(APP, OTHER, False, "*", False, id="unlisted"),
        pytest.param(None, APP, False, "*", False, id="none-listed"),
        pytest.param(None, SAME_APP, False, "*", False, id="none-listed-by-address"),
    ],
)
def test_a_get_from_a_page(mock_client, listed, origin, cookies, allowed, credentials):
    client = mock_client("agentlens", cors_origins=[listed] if listed else [])
    headers = AGENTLENS | {"Origin": origin} | (COOKIE if cookies else {})
    response = client.get("/api/sessions", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == allowed
    assert response.headers.get("access-control-allow-credentials") == (
        "true" if credentials else None
    )
    assert response.headers["access-control-expose-headers"] == EXPOSED
    assert ("origin" in response.headers.get("vary", "").lower()) == (listed is not None)


@pytest.mark.parametrize(
    ("listed", "origin", "allowed", "credentials"),
    [
        pytest.param(APP, APP, APP, True, id="listed"),
        pytest.param(APP, SAME_APP, SAME_APP, True, id="listed-by-address"),
        pytest.param(APP, "http://[::1]:5173", "http://[::1]:5173", True, id="listed-by-ipv6"),
        pytest.param(APP, OTHER, "*", False, id="unlisted"),
        pytest.param(APP, "http://127.0.0.1:5174", "*", False, id="other-port"),
        pytest.param(None, SAME_APP, "*", False, id="none-listed"),
    ],
)
def test_a_preflight_from_a_page(mock_client, listed, origin, allowed, credentials):
    client = mock_client("fasting", cors_origins=[listed] if listed else [])
    response = client.options("/api/sessions", headers=preflight(origin, "POST"))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == allowed
    assert response.headers.get("access-control-allow-credentials") == (
        "true" if credentials else None
    )
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization"
    assert response.content == b""
    assert len(client.ctx.journal) == 0  # answered before the mock sees it


def test_a_credentialed_page_then_reads_the_answer(mock_client):
    """The whole exchange a browser makes for ``fetch(url, {credentials: "include"})``."""
    client = mock_client("agentlens", cors_origins=[APP])
    asked = client.options("/api/sessions", headers=preflight(SAME_APP))
    assert asked.headers["access-control-allow-credentials"] == "true"
    read = client.get("/api/sessions", headers=AGENTLENS | COOKIE | {"Origin": SAME_APP})
    assert read.json()["total"] > 0
    assert read.headers["access-control-allow-origin"] == SAME_APP


def test_a_vary_of_the_mocks_own_is_kept(mock_client):
    client = mock_client("agentlens", cors_origins=[APP])
    response = client.get("/openapi.json", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert [v.strip() for v in response.headers["vary"].split(",")].count("Origin") == 1


@pytest.mark.parametrize(
    ("origin", "status", "allowed"),
    [
        pytest.param(APP, 200, APP, id="listed"),
        pytest.param(SAME_APP, 200, SAME_APP, id="listed-by-address"),
        pytest.param("http://[::1]:5173", 200, "http://[::1]:5173", id="listed-by-ipv6"),
        pytest.param(OTHER, 403, None, id="unlisted"),
        pytest.param("http://127.0.0.1:5174", 403, None, id="other-port"),
    ],
)
def test_the_admin_trusts_the_listed_origins_under_every_loopback_name(
    mock_client, origin, status, allowed
):
    client = mock_client("fasting", cors_origins=[APP])
    read = client.get("/__mockgate/state", headers={"Origin": origin})
    assert read.status_code == status
    assert read.headers.get("access-control-allow-origin") == allowed
    asked = client.options("/__mockgate/reset", headers=preflight(origin, "POST", "content-type"))
    assert asked.status_code == status
    assert asked.headers.get("access-control-allow-origin") == allowed


def test_an_admin_refusal_reaches_a_trusted_page(mock_client):
    """A trusted page without the token reads why it was refused (not a bare "CORS error")."""
    client = mock_client("fasting", cors_origins=[APP], admin_token="s3cret")
    refused = client.get("/__mockgate/state", headers={"Origin": SAME_APP})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == SAME_APP
    assert "X-Mockgate-Token" in refused.json()["error"]


def cors_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mockgate.cors"]


@pytest.mark.parametrize(
    ("options", "path", "headers", "reason"),
    [
        pytest.param(
            {"cors_origins": [APP]},
            "/api/sessions",
            AGENTLENS | COOKIE | {"Origin": OTHER},
            f"it carries cookies, and only the origins given with --cors-origin may send "
            f"credentials; to allow this one, start the mock with --cors-origin {OTHER}",
            id="credentials-unlisted",
        ),
        pytest.param(
            {"cors": False},
            "/api/sessions",
            AGENTLENS | {"Origin": APP},
            "CORS is off (--no-cors), so no Access-Control-Allow-Origin is sent",
            id="no-cors",
        ),
        pytest.param(
            {},
            "/__mockgate/state",
            {"Origin": APP},
            "the admin API answers only the origins given with --cors-origin; to allow this "
            f"one, start the mock with --cors-origin {APP}",
            id="admin",
        ),
    ],
)
def test_a_refused_origin_is_logged_once_with_the_reason(
    mock_client, caplog, options, path, headers, reason
):
    client = mock_client("agentlens", **options)
    with caplog.at_level(logging.WARNING, logger="mockgate.cors"):
        for _ in range(3):
            client.get(path, headers=headers)
    origin = headers["Origin"]
    assert cors_lines(caplog) == [f"agentlens: CORS refused Origin {origin} (GET {path}): {reason}"]
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "mockgate.cors")


def test_a_refused_preflight_goes_on_to_the_mock_and_is_logged(mock_client, caplog):
    client = mock_client("agentlens")
    with caplog.at_level(logging.WARNING, logger="mockgate.cors"):
        response = client.options("/api/sessions", headers=preflight(APP, "TRACE"))
    assert response.status_code == 405  # the mock's own answer to OPTIONS, in the API's shape
    assert "access-control-allow-origin" not in response.headers
    assert cors_lines(caplog) == [
        f"agentlens: CORS refused Origin {APP} (OPTIONS /api/sessions): the preflight asks for "
        "the method 'TRACE'; the mocks allow GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    ]


def test_the_log_line_escapes_what_the_client_sent(mock_client, caplog):
    client = mock_client("agentlens", cors=False)
    with caplog.at_level(logging.WARNING, logger="mockgate.cors"):
        client.get("/api/sessions", headers=AGENTLENS | {"Origin": "http://a.test\x1b[31m"})
    (line,) = cors_lines(caplog)
    assert "\x1b" not in line
    assert "http://a.test\\x1b[31m" in line


def test_a_same_origin_page_is_not_logged(mock_client, caplog):
    """The mock's own Swagger UI sends its Origin on writes: nothing the browser refuses."""
    client = mock_client("agentlens", cors=False)
    with caplog.at_level(logging.WARNING, logger="mockgate.cors"):
        client.get("/api/sessions", headers=AGENTLENS | {"Origin": "http://localhost"})
        client.get("/__mockgate/state", headers={"Origin": "http://localhost"})
    assert cors_lines(caplog) == []
