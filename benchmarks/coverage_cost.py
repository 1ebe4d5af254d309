"""What consumer-side coverage costs on the mock's hot path: the same requests through one mock's
ASGI app, coverage on and off, alternated within one run (so both see the same machine).

    /work/venv/bin/python benchmarks/coverage_cost.py [--requests 2000] [--rounds 5]

Each scenario is a request the mock answers in-process (no sockets, no client: what is timed is
the app, where coverage adds its cost). Figures are µs per request, the best of ``--rounds``
rounds, and the on/off ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockgate.apis.context import MockOptions
from mockgate.mockserver.app import context_of, create_app

AUTH = [(b"authorization", b"Bearer st_mockgate_dev_key"), (b"host", b"localhost")]


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""


SCENARIOS = (
    Scenario("list 20 sessions (response walked)", "GET", "/sessions", b"limit=20&status=active"),
    Scenario("health (small answer)", "GET", "/health"),
    Scenario(
        "create a session (body walked)",
        "POST",
        "/sessions",
        body=json.dumps({"project_id": "1", "machine_id": "nope", "metadata": {"a": 1}}).encode(),
    ),
    Scenario("unknown route (a violation)", "GET", "/nope"),
)


def _request(app: Any, scenario: Scenario) -> Callable[[], Any]:
    headers = list(AUTH)
    if scenario.body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(scenario.body)),
        ]
    scope = {
        "type": "http",
        "method": scenario.method,
        "path": scenario.path,
        "raw_path": scenario.path.encode(),
        "query_string": scenario.query,
        "headers": headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": scenario.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def once() -> None:
        await app(dict(scope), receive, send)

    return once


async def _time(once: Callable[[], Any], requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await once()
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int, rounds: int) -> None:
    app = create_app("state-tracking", MockOptions(rate_limit="off"))
    ctx = context_of(app)
    coverage = ctx.coverage
    print(f"{'scenario':<38} {'off µs':>8} {'on µs':>8} {'on/off':>7}")
    for scenario in SCENARIOS:
        once = _request(app, scenario)
        for _ in range(200):  # warm up
            await once()
        best = {"off": float("inf"), "on": float("inf")}
        for _ in range(rounds):
            for mode in ("off", "on"):
                ctx.coverage = coverage if mode == "on" else None
                ctx.journal.clear()
                best[mode] = min(best[mode], await _time(once, requests))
        ctx.coverage = coverage
        ratio = best["on"] / best["off"]
        print(f"{scenario.name:<38} {best['off']:>8.1f} {best['on']:>8.1f} {ratio:>7.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
