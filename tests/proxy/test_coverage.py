"""Coverage through ``mockgate proxy``: the client's traffic to a real backend, and its
requests outside the contract as consumer violations (``GET /__mockgate/coverage``)."""

from __future__ import annotations

from mockgate.apis.context import MockOptions
from mockgate.core.clock import Clock
from mockgate.mockserver.app import create_app
from tests.conftest import START
from tests.proxy.conftest import UPSTREAM
from tests.proxy.upstreams import AGENTLENS_AUTH


def test_the_proxy_records_coverage_and_the_clients_violations(through_proxy):
    served_as = MockOptions(allowed_hosts=(UPSTREAM.split("//")[1],))
    upstream = create_app("agentlens", served_as, clock=Clock(START, frozen=True))
    client = through_proxy("agentlens", upstream)
    assert client.get("/api/sessions?limit=2", headers=AGENTLENS_AUTH).status_code == 200
    assert client.get("/api/sessions?limit=abc", headers=AGENTLENS_AUTH).status_code == 400
    assert client.get("/api/nope", headers=AGENTLENS_AUTH).status_code == 404

    data = client.get("/__mockgate/coverage").json()
    listing = data["operations"]["listSessions"]
    assert listing["statuses"] == {"200": 1, "400": 1}
    assert listing["parameters"]["query:limit"] == {"*": 2}
    assert "200:sessions[].id" in listing["response_properties"]
    reasons = [(v["path"], v["status"], v["reason"]) for v in data["violations"]]
    assert reasons == [
        (
            "/api/sessions",
            400,
            "query parameter limit: Failed to cast value to integer type: abc",
        ),
        ("/api/nope", 404, "GET /api/nope is not in the agentlens spec: no such path"),
    ]
    # Credentials redacted, as in the proxy's violations.
    assert (
        data["violations"][0]["request"]["headers"]["authorization"]
        != (AGENTLENS_AUTH["Authorization"])
    )
    assert client.delete("/__mockgate/coverage").status_code == 204
    assert client.get("/__mockgate/coverage").json()["violations"] == []
