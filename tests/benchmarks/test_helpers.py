"""The benchmark's helpers, without load: the Prism spec rewrite, the baseline app, wrk's
summary line, the scale data, the verdicts and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator
from starlette.testclient import TestClient

from benchmarks import cli
from benchmarks.baseline_app import create_app, write_routes
from benchmarks.load import LoadResult, parse_wrk_output
from benchmarks.prism_spec import Capture, prism_document
from benchmarks.report import MOCKGATE, PRISM, STARLETTE, Run, reads_table, scale_table
from benchmarks.scale import MAX_EVENTS, ingest_batches
from benchmarks.scenarios import credentials
from mockgate.cli.serve_config import FROZEN_START
from mockgate.openapi.catalog import bundled_apis

REPO = Path(__file__).resolve().parents[2]
PAGE = {"sessions": [{"id": "sess_1"}], "total": 1, "hasMore": False}


def list_capture(body: object = PAGE) -> Capture:
    return Capture("GET", "/api/sessions", 200, "application/json", json.dumps(body).encode())


def test_prism_document_makes_the_captured_body_the_only_example():
    resolved = bundled_apis()["agentlens"].resolved
    before = json.dumps(resolved, sort_keys=True)

    document = prism_document(resolved, [list_capture()])

    media = document["paths"]["/api/sessions"]["get"]["responses"]["200"]["content"]
    assert media["application/json"]["examples"] == {"mockgate": {"value": PAGE}}
    assert "example" not in media["application/json"]
    # Other operations keep the spec's own examples, and the input is left alone.
    other = document["paths"]["/api/sessions/{id}"]["get"]["responses"]["200"]["content"]
    assert "mockgate" not in other["application/json"]["examples"]
    assert json.dumps(resolved, sort_keys=True) == before


def test_prism_document_refuses_a_response_the_spec_does_not_declare():
    capture = Capture("GET", "/api/sessions", 299, "application/json", b"{}")
    with pytest.raises(KeyError):
        prism_document(bundled_apis()["agentlens"].resolved, [capture])


def test_baseline_app_answers_the_captured_bytes_per_method(tmp_path):
    created = Capture("POST", "/sessions", 201, "application/json", b'{"session_id":"s1"}')
    routes = write_routes(
        [("/sessions?limit=20", list_capture([1, 2])), ("/sessions", created)], tmp_path
    )
    client = TestClient(create_app(routes))

    listed = client.get("/sessions", params={"limit": 5})
    assert (listed.status_code, listed.content) == (200, b"[1, 2]")
    assert listed.headers["content-type"] == "application/json"
    posted = client.post("/sessions", json={"anything": True})
    assert (posted.status_code, posted.content) == (201, b'{"session_id":"s1"}')
    assert client.get("/elsewhere").status_code == 404


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:9/api/sessions
  2 threads and 32 connections
Requests/sec:   2000.00
MOCKGATE-BENCH {"requests":10000,"duration_us":5000000,"bytes":1,"p50_us":1500,"p90_us":2000,\
"p99_us":9000,"max_us":12000,"connect_errors":0,"read_errors":0,"write_errors":0,\
"status_errors":12,"timeouts":3}
"""


def test_wrk_summary_line_gives_rates_percentiles_and_every_error():
    result = parse_wrk_output(WRK_OUTPUT)
    assert result.rps == pytest.approx(2000.0)
    assert (result.p50_ms, result.p99_ms) == (1.5, 9.0)
    assert result.errors == 15
    assert result.error_detail == "12 status errors, 3 timeouts"


def test_wrk_output_without_the_summary_line_is_an_error():
    with pytest.raises(ValueError, match="MOCKGATE-BENCH"):
        parse_wrk_output("Requests/sec: 10\n")


def test_scale_batches_are_valid_ingest_bodies_that_never_split_a_session():
    operation = bundled_apis()["agentlens"].resolved["paths"]["/api/events"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)

    batches = list(ingest_batches(100, 1_200, FROZEN_START))

    sessions = [e["sessionId"] for b in batches for e in b["events"]]
    assert len(set(sessions)) == 1_200
    for batch in batches:
        assert len(batch["events"]) <= MAX_EVENTS
        assert not list(validator.iter_errors(batch))
    owners = [{e["sessionId"] for e in b["events"]} for b in batches]
    assert all(a.isdisjoint(b) for a, b in pairwise(owners))
    ended = [
        e["payload"]["reason"] for b in batches for e in b["events"] if "reason" in e["payload"]
    ]
    assert {"completed", "error"} <= set(ended)


def run_of(server: str, rps: float, p99: float, *, errors: int = 0, section: str = "reads") -> Run:
    load = LoadResult(int(rps * 5), 5.0, 1.0, p99, p99, errors, f"{errors} timeouts")
    return Run(section, "agentlens list", server, load, 50.0)


@pytest.mark.parametrize(
    ("ours", "prism", "verdict"),
    [
        pytest.param(run_of(MOCKGATE, 6000, 9), run_of(PRISM, 5000, 12), "PASS", id="faster"),
        pytest.param(run_of(MOCKGATE, 6000, 15), run_of(PRISM, 5000, 12), "MISS", id="p99"),
        pytest.param(run_of(MOCKGATE, 4000, 9), run_of(PRISM, 5000, 12), "MISS", id="slower"),
        pytest.param(
            run_of(MOCKGATE, 6000, 9, errors=3), run_of(PRISM, 5000, 12), "FLAGGED", id="errors"
        ),
    ],
)
def test_read_verdict_against_prism(ours, prism, verdict):
    table = reads_table([ours, prism, run_of(STARLETTE, 12000, 5)])
    assert table.records[0]["result"] == verdict
    assert table.rows[0][-1] == verdict
    assert bool(table.notes) == bool(ours.load.errors)


def test_scale_verdict_is_within_twice_the_first_figure():
    small = run_of(MOCKGATE, 3000, 9, section="scale")
    for rps, verdict in ((1600, "PASS"), (1400, "MISS")):
        table = scale_table([small, run_of(MOCKGATE, rps, 9, section="scale")])
        assert table.rows[1][-1] == verdict


def test_missing_wrk_exits_2_with_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr("benchmarks.load.shutil.which", lambda name: None)
    assert cli.main(["--quick"]) == 2
    assert "apt-get install wrk" in capsys.readouterr().out


@pytest.mark.slow
def test_run_script_help():
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for option in ("--duration", "--quick", "--json", "--repeat", "--no-prism", "--section"):
        assert option in done.stdout


BANNER = """mockgate: 1 mock(s), seed 1, dataset demo, clock frozen
  fasting         http://127.0.0.1:3001   docs http://127.0.0.1:3001/docs/
                  Bryan Dean <b@example.com>: Authorization: Bearer fst_bryan_bd0c  or cookie ...
                  Steven Russo <s@example.net>: Authorization: Bearer fst_steven_91cb  or ...
"""


def test_fasting_credential_is_the_first_token_of_the_start_up_banner():
    assert credentials("fasting", BANNER) == (("Authorization", "Bearer fst_bryan_bd0c"),)
    assert credentials("fasting", "mockgate: starting") is None  # not printed yet
    assert credentials("piorchestrator", "") == ()
