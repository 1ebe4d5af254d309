"""Who may reach a mock, as plain rules: Host names, origins, admin calls."""

from __future__ import annotations

import pytest

from mockgate.core.access import (
    AdminPolicy,
    HostPolicy,
    allowed_host_entry,
    cors_origin_entry,
    is_loopback,
    origin_key,
    same_origin,
    split_host,
)

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("localhost", ("localhost", None), id="name"),
        pytest.param("LocalHost:3400", ("localhost", 3400), id="case-and-port"),
        pytest.param("localhost.:80", ("localhost", 80), id="trailing-dot"),
        pytest.param("[::1]:3400", ("[::1]", 3400), id="ipv6"),
        pytest.param("[::1]", ("[::1]", None), id="ipv6-no-port"),
        pytest.param("localhost:", ("localhost", None), id="empty-port"),
        pytest.param("::1", None, id="ipv6-without-brackets"),
        pytest.param("[::1]x", None, id="junk-after-bracket"),
        pytest.param("localhost:99999", None, id="port-out-of-range"),
        pytest.param("localhost:3\u00b2", None, id="non-ascii-digit"),
        pytest.param("evil.example/x", None, id="path"),
        pytest.param("", None, id="empty"),
    ],
)
def test_split_host(value, expected):
    assert split_host(value) == expected


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("localhost:3400", id="localhost"),
        pytest.param("app.localhost:5173", id="a-localhost-subdomain"),
        pytest.param("127.0.0.1:3400", id="ipv4"),
        pytest.param("127.1", id="ipv4-short-form"),
        pytest.param("192.168.1.20:3400", id="lan-address"),
        pytest.param("[::1]:3400", id="ipv6"),
        pytest.param("myapp.test", id="allowed-name"),
        pytest.param("MYAPP.TEST.:8080", id="allowed-name-any-case-and-port"),
        pytest.param("example.test", id="dotted-entry-itself"),
        pytest.param("a.b.example.test", id="dotted-entry-subdomain"),
    ],
)
def test_loopback_names_addresses_and_allowed_names_are_served(host):
    assert HostPolicy(("myapp.test", ".example.test")).allows(host)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.example:3400", id="rebinding-name"),
        pytest.param("localhost.evil.example", id="localhost-as-a-label"),
        pytest.param("evillocalhost", id="localhost-as-a-suffix"),
        pytest.param("notmyapp.test", id="allowed-name-as-a-suffix"),
        pytest.param("sub.myapp.test", id="exact-entry-has-no-subdomains"),
        pytest.param("testserver", id="testclient-default"),
        pytest.param("1.2.3.4.evil.example", id="address-as-labels"),
        pytest.param("", id="empty"),
    ],
)
def test_other_names_are_refused(host):
    assert not HostPolicy(("myapp.test", ".example.test")).allows(host)


def test_a_refusal_names_the_host_and_the_option_that_serves_it():
    reason = HostPolicy().refusal(["Evil.Example:3400"], "1.1")
    assert reason is not None
    assert "'Evil.Example:3400'" in reason
    assert "--allowed-host evil.example" in reason


def test_a_value_that_is_no_host_is_not_offered_to_allow():
    assert (
        HostPolicy().refusal(["evil.example/x"], "1.1")
        == "Host 'evil.example/x' is not a host name."
    )


@pytest.mark.parametrize(
    ("hosts", "version", "refused"),
    [
        pytest.param((), "1.1", True, id="missing-on-1.1"),
        pytest.param((), "1.0", False, id="missing-on-1.0"),
        pytest.param(("localhost", "evil.example"), "1.1", True, id="one-of-two-foreign"),
        pytest.param(("localhost",), "1.1", False, id="served"),
    ],
)
def test_host_headers_a_request_must_carry(hosts, version, refused):
    assert (HostPolicy().refusal(hosts, version) is not None) == refused


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        pytest.param("MyApp.Test", "myapp.test", id="lower-cased"),
        pytest.param("myapp.test.", "myapp.test", id="trailing-dot"),
        pytest.param(".Example.Test", ".example.test", id="with-subdomains"),
    ],
)
def test_allowed_host_entries_are_normalised(text, entry):
    assert allowed_host_entry(text) == entry


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("http://myapp.test", id="url"),
        pytest.param("myapp.test:8080", id="port"),
        pytest.param("*.myapp.test", id="wildcard"),
        pytest.param("", id="empty"),
    ],
)
def test_an_allowed_host_that_is_not_a_name_is_refused(text):
    with pytest.raises(ValueError, match="not a host name"):
        allowed_host_entry(text)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        pytest.param("127.0.0.1", True, id="ipv4"),
        pytest.param("127.0.0.2", True, id="ipv4-any-127"),
        pytest.param("::1", True, id="ipv6"),
        pytest.param("[::1]", True, id="ipv6-bracketed"),
        pytest.param("localhost", True, id="localhost"),
        pytest.param("0.0.0.0", False, id="every-ipv4-interface"),
        pytest.param("::", False, id="every-ipv6-interface"),
        pytest.param("192.168.1.20", False, id="lan"),
        pytest.param("myhost.lan", False, id="name"),
    ],
)
def test_is_loopback(address, loopback):
    assert is_loopback(address) == loopback


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "same"),
    [
        pytest.param("http://localhost:3400", "localhost:3400", "http", True, id="same"),
        pytest.param("http://LOCALHOST:3400", "localhost:3400", "http", True, id="case"),
        pytest.param("http://localhost", "localhost:80", "http", True, id="default-port"),
        pytest.param("https://localhost", "localhost", "https", True, id="https"),
        pytest.param("http://[::1]:3400", "[::1]:3400", "http", True, id="ipv6"),
        pytest.param("http://localhost:5173", "localhost:3400", "http", False, id="other-port"),
        pytest.param("https://localhost:3400", "localhost:3400", "http", False, id="scheme"),
        pytest.param("http://evil.example", "localhost", "http", False, id="other-name"),
        pytest.param("null", "localhost", "http", False, id="opaque"),
        pytest.param("http://localhost:x", "localhost", "http", False, id="bad-port"),
    ],
)
def test_same_origin(origin, host, scheme, same):
    assert same_origin(origin, host, scheme) == same


def refusal(policy: AdminPolicy, method: str = "GET", docs: bool = False, **headers: str):
    headers = {"host": "localhost:3400", **{k.replace("_", "-"): v for k, v in headers.items()}}
    error = policy.refusal(method, headers, "http", docs=docs)
    return None if error is None else error.status


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        pytest.param("GET", {}, None, id="plain-read"),
        pytest.param("GET", {"origin": "http://evil.example"}, 403, id="foreign-origin-read"),
        pytest.param("OPTIONS", {"origin": "http://evil.example"}, 403, id="foreign-preflight"),
        pytest.param("GET", {"origin": "http://localhost:5173"}, 403, id="other-local-port"),
        pytest.param("GET", {"sec_fetch_site": "cross-site"}, 403, id="cross-site-fetch"),
        pytest.param("GET", {"sec_fetch_site": "same-site"}, None, id="same-site-fetch"),
        pytest.param("GET", {"origin": "http://localhost:3400"}, None, id="own-origin"),
        pytest.param("POST", {}, 415, id="write-without-type"),
        pytest.param("DELETE", {"content_type": "text/plain"}, 415, id="write-as-text"),
        pytest.param(
            "POST",
            {"content_type": "application/x-www-form-urlencoded", "origin": "http://evil.example"},
            403,
            id="cross-site-form-post",
        ),
        pytest.param("PUT", {"content_type": "application/json; charset=utf-8"}, None, id="json"),
        pytest.param("POST", {"origin": "http://localhost:3400"}, None, id="own-swagger-ui"),
    ],
)
def test_what_an_admin_call_must_carry(method, headers, status):
    assert refusal(AdminPolicy(), method, **headers) == status


def test_origins_given_are_trusted_whatever_the_site():
    policy = AdminPolicy.from_options(["http://App.Example:5173/"], None)
    trusted = {"origin": "http://app.example:5173", "sec_fetch_site": "cross-site"}
    assert refusal(policy, "GET", **trusted) is None
    assert refusal(policy, "PUT", content_type="application/json", **trusted) is None
    assert refusal(policy, "POST", **trusted) == 415  # a bodyless write still says JSON
    assert refusal(policy, "GET", origin="http://evil.example") == 403


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="missing"),
        pytest.param({"x_mockgate_token": "wrong"}, 401, id="wrong"),
        pytest.param({"x_mockgate_token": "s3cret-but-longer"}, 401, id="longer"),
        pytest.param({"x_mockgate_token": "s3cret"}, None, id="right"),
        pytest.param({"x_mockgate_token": "s3cr\u00e9t"}, 401, id="non-ascii"),
    ],
)
def test_a_token_is_needed_on_every_call_when_set(headers, status):
    assert refusal(AdminPolicy(token="s3cret"), "GET", **headers) == status


def test_the_admin_docs_need_no_token_but_refuse_foreign_origins():
    policy = AdminPolicy(token="s3cret")
    assert refusal(policy, "GET", docs=True) is None
    assert refusal(policy, "GET", docs=True, origin="http://evil.example") == 403


def test_a_trusted_origins_preflight_needs_no_token():
    """A browser's preflight never carries the headers it asks about."""
    policy = AdminPolicy.from_options(["http://app.example"], "s3cret")
    asking = {"access_control_request_method": "PUT"}
    assert refusal(policy, "OPTIONS", origin="http://app.example", **asking) is None
    assert refusal(policy, "OPTIONS", origin="http://evil.example", **asking) == 403
    assert refusal(policy, "OPTIONS", origin="http://app.example") == 401  # not a preflight
    assert refusal(policy, "OPTIONS", **asking) == 401  # not from a browser


def test_the_token_is_checked_before_the_content_type():
    assert refusal(AdminPolicy(token="s3cret"), "POST") == 401


@pytest.mark.parametrize(
    ("origin", "key"),
    [
        pytest.param("http://localhost:5173", "http://localhost:5173", id="localhost"),
        pytest.param("http://127.0.0.1:5173", "http://localhost:5173", id="ipv4-loopback"),
        pytest.param("http://[::1]:5173", "http://localhost:5173", id="ipv6-loopback"),
        pytest.param("HTTP://LocalHost:5173/", "http://localhost:5173", id="case-and-slash"),
        pytest.param("http://localhost", "http://localhost:80", id="default-port"),
        pytest.param("https://127.0.0.1", "https://localhost:443", id="https-default-port"),
        pytest.param("http://127.0.0.2:5173", "http://127.0.0.2:5173", id="other-address"),
        pytest.param("http://app.localhost:5173", "http://app.localhost:5173", id="subdomain"),
        pytest.param("null", "null", id="opaque"),
        pytest.param("http://localhost:x", "http://localhost:x", id="bad-port"),
    ],
)
def test_origin_key_treats_the_loopback_names_alike(origin, key):
    assert origin_key(origin) == key


def test_the_loopback_names_differ_by_scheme_and_port():
    assert origin_key("http://127.0.0.1:5173") != origin_key("https://localhost:5173")
    assert origin_key("http://127.0.0.1:5173") != origin_key("http://localhost:5174")


def test_the_admin_trusts_a_given_origin_under_every_loopback_name():
    policy = AdminPolicy.from_options(["http://localhost:5173"], None)
    for origin in ("http://localhost:5173", "http://127.0.0.1:5173", "http://[::1]:5173"):
        assert refusal(policy, "GET", origin=origin) is None, origin
    assert refusal(policy, "GET", origin="http://127.0.0.1:5174") == 403


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        pytest.param("http://localhost:5173", "http://localhost:5173", id="origin"),
        pytest.param(" https://app.example/ ", "https://app.example", id="trailing-slash"),
        pytest.param("capacitor://localhost", "capacitor://localhost", id="app-scheme"),
    ],
)
def test_cors_origin_entry_accepts_origins(text, entry):
    assert cors_origin_entry(text) == entry


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("*", "already answered without credentials", id="wildcard"),
        pytest.param("null", "already answered without credentials", id="null"),
        pytest.param("localhost:5173", "is not an origin", id="no-scheme"),
        pytest.param("http://localhost:5173/app", "is not an origin", id="path"),
        pytest.param("http://localhost:5173?x=1", "is not an origin", id="query"),
        pytest.param("http://user@localhost:5173", "is not an origin", id="user"),
        pytest.param("http://localhost:99999", "is not an origin", id="bad-port"),
        pytest.param("http://", "is not an origin", id="no-host"),
    ],
)
def test_cors_origin_entry_refuses_what_is_no_origin(text, message):
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        cors_origin_entry(text)
