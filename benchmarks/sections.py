"""The benchmark's sections: each starts its servers, drives them with wrk, stops them.

- ``reads_and_writes``: per API, mockgate (one API per process), bare Starlette and Prism,
  side by side on the same captured payloads; state-tracking's writes too.
- ``startup``: all four APIs from one ``mockgate serve``: first 2xx of each, RSS after warm-up.
- ``scale``: agentlens with 1,000 then 100,000 sessions loaded through ``PUT /__mockgate/state``.
- ``image``: piorchestrator's image proxy, first (rendered) and repeated (cached) requests.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks.baseline_app import write_routes
from benchmarks.load import Request, run_wrk, send
from benchmarks.prism_spec import Capture, write_prism_document
from benchmarks.report import MOCKGATE, PRISM, STARLETTE, ImageFigures, Run, StartupFigures
from benchmarks.scale import ingest_batches
from benchmarks.scenarios import Scenario, capture, credentials, list_scenario, plan
from benchmarks.servers import (
    LOOPBACK,
    ServerProcess,
    baseline_command,
    free_port,
    mockgate_command,
    prism_command,
)
from mockgate.cli.serve_config import FROZEN_START
from mockgate.openapi.catalog import bundled_apis

__all__ = ["Settings", "image", "reads_and_writes", "scale", "startup"]

SCALE_SIZES = (1_000, 100_000)
SCALE_QUERY = "?status=error&limit=20"
IMAGE_KEYS = 5


@dataclass(frozen=True)
class Settings:
    seconds: float
    warmup: float
    repeat: int  # rounds per scenario and server; the median is kept
    connections: int
    threads: int
    workdir: Path
    prism: Path | None  # Prism's executable, or None to leave Prism out
    say: Callable[[str], None]  # progress
    note: Callable[[str], None]  # something the reader of the results must know


@dataclass(frozen=True)
class Target:
    """A running server under one name, at one base URL."""

    name: str
    server: ServerProcess
    base_url: str


def reads_and_writes(
    settings: Settings, apis: tuple[str, ...]
) -> tuple[list[Run], dict[str, float]]:
    """Every API's scenarios on mockgate, Prism and Starlette; also the baselines' first 2xx."""
    runs: list[Run] = []
    ready: dict[str, float] = {}
    for api in apis:
        with ExitStack() as stack:
            ours = stack.enter_context(_mockgate(settings, {api: free_port()}, f"{api}-mockgate"))
            scenarios = plan(api, ours.base_url, ours.server.output())
            with httpx.Client(timeout=30.0) as client:
                captures = [(s, capture(client, ours.base_url, s)) for s in scenarios]
            targets = [ours]
            if settings.prism is not None:
                prism = _start_prism(settings, settings.prism, api, captures, stack)
                if prism is not None:
                    targets.append(prism)
                    ready[f"Prism ({api} only)"] = prism.server.ready_s[api]
            floor = _start_starlette(settings, api, captures, stack)
            targets.append(floor)
            ready[f"mockgate ({api} only)"] = ours.server.ready_s[api]
            ready.setdefault("Starlette baseline", floor.server.ready_s[api])
            for scenario, answer in captures:
                section = "writes" if scenario.kind == "write" else "reads"
                runs += _side_by_side(settings, section, scenario, targets, _describe(answer))
    return runs, ready


def startup(settings: Settings, apis: tuple[str, ...]) -> StartupFigures:
    """Spawn to first 2xx of each API of one ``mockgate serve`` (the median of
    ``settings.repeat`` starts); RSS after a warm-up of every read scenario (in the last one)."""
    samples: dict[str, list[float]] = {api: [] for api in apis}
    rss_mb = 0.0
    for number in range(settings.repeat):
        ports = {api: free_port() for api in apis}
        settings.say(f"start-up {number + 1}/{settings.repeat}")
        with _mockgate(settings, ports, f"startup-mockgate-{number + 1}") as ours:
            for api in apis:
                samples[api].append(ours.server.ready_s[api])
            if number < settings.repeat - 1:
                continue
            for api in apis:
                base = f"http://{LOOPBACK}:{ports[api]}"
                for scenario in plan(api, base, ours.server.output()):
                    if scenario.kind == "read":
                        settings.say(f"start-up warm-up: {scenario.label}")
                        run_wrk(scenario.request(base), **_load(settings, settings.warmup))
            rss_mb = ours.server.rss_mb()
    ready = {api: statistics.median(values) for api, values in samples.items()}
    return StartupFigures(ready_s=ready, rss_mb=rss_mb)


def scale(settings: Settings) -> list[Run]:
    """agentlens' filtered list with each of ``SCALE_SIZES`` sessions stored (the demo's, then
    bench sessions ingested through ``POST /api/events`` up to the size)."""
    runs = []
    with _mockgate(settings, {"agentlens": free_port()}, "scale-mockgate") as ours:
        headers = credentials("agentlens", "") or ()
        scenario = Scenario(
            "agentlens",
            "filtered list",
            "read",
            "GET",
            "/api/sessions",
            "/api/sessions" + SCALE_QUERY,
            headers,
        )
        count = Request("GET", f"{ours.base_url}/api/sessions?limit=1", headers)
        ingest = f"{ours.base_url}/api/events"
        start = FROZEN_START - timedelta(hours=1)  # older than the demo's sessions
        created = 0
        with httpx.Client(timeout=300.0) as client:
            for size in SCALE_SIZES:
                stored = _json(client, count)["total"]
                settings.say(f"scale: ingesting {size - stored:,} sessions ({stored:,} stored)")
                for body in ingest_batches(created, size - stored, start):
                    _json(client, Request("POST", ingest, headers, json.dumps(body)))
                created += size - stored
                stored = _json(client, count)["total"]
                answer = capture(client, ours.base_url, scenario)
                detail = f"{stored:,} sessions, {len(answer.json_body()['sessions'])} a page"
                runs += _side_by_side(settings, "scale", scenario, [ours], detail, timeout_s=120.0)
    return runs


def image(settings: Settings) -> tuple[list[Run], ImageFigures]:
    """First and repeated requests of evidence images that were never rendered, then wrk on a
    cached one (mockgate, and Starlette answering the same JPEG)."""
    with ExitStack() as stack:
        ours = stack.enter_context(
            _mockgate(settings, {"piorchestrator": free_port()}, "image-mockgate")
        )
        with httpx.Client(timeout=30.0) as client:
            state = client.get(f"{ours.base_url}/__mockgate/state").raise_for_status().json()
            # Oldest first: a recent capture may not be uploaded yet (404, nothing rendered).
            candidates = sorted(
                (c for c in state["captures"].values() if c.get("object_key")),
                key=lambda c: c["created_at"],
            )
            paths, first = [], []
            for candidate in candidates:
                path = f"/api/v1/evidence/image?{urlencode({'key': candidate['object_key']})}"
                elapsed = _timed_image(client, ours.base_url + path)
                if elapsed is not None:
                    paths.append(path)
                    first.append(elapsed)
                if len(paths) == IMAGE_KEYS:
                    break
            if not paths:
                raise RuntimeError("no evidence image of piorchestrator's demo state is served")
            repeat = [_timed_image(client, ours.base_url + path) or 0.0 for path in paths]
            scenario = Scenario(
                "piorchestrator", "cached image", "read", "GET", "/api/v1/evidence/image", paths[0]
            )
            answer = capture(client, ours.base_url, scenario)
        floor = _start_starlette(settings, "image", [(scenario, answer)], stack)
        runs = _side_by_side(settings, "image", scenario, [ours, floor], _describe(answer))
    return runs, ImageFigures(len(paths), first, repeat)


@contextmanager
def _mockgate(settings: Settings, ports: dict[str, int], name: str) -> Iterator[Target]:
    """``mockgate serve`` of ``ports``' APIs, ready (every API answered 2xx) and stopped after;
    the yielded target's base URL is the first API's."""
    server = ServerProcess.spawn(
        MOCKGATE, mockgate_command(ports), settings.workdir / f"{name}.log"
    )
    try:
        bases = {api: f"http://{LOOPBACK}:{port}" for api, port in ports.items()}
        server.wait_ready({api: _probe(api, server, base) for api, base in bases.items()})
        yield Target(MOCKGATE, server, next(iter(bases.values())))
    finally:
        server.stop()


def _probe(api: str, server: ServerProcess, base_url: str) -> Callable[[], Request | None]:
    def probe() -> Request | None:
        headers = credentials(api, server.output())
        return None if headers is None else list_scenario(api, headers).request(base_url)

    return probe


def _start_starlette(
    settings: Settings, name: str, captures: list[tuple[Scenario, Capture]], stack: ExitStack
) -> Target:
    routes = write_routes(
        [(scenario.path, answer) for scenario, answer in captures],
        settings.workdir / f"{name}-starlette",
    )
    port = free_port()
    server = ServerProcess.spawn(
        STARLETTE, baseline_command(routes, port), settings.workdir / f"{name}-starlette.log"
    )
    stack.callback(server.stop)
    base = f"http://{LOOPBACK}:{port}"
    first = captures[0][0]
    server.wait_ready({first.api: lambda: first.request(base)})
    return Target(STARLETTE, server, base)


def _start_prism(
    settings: Settings,
    executable: Path,
    api: str,
    captures: list[tuple[Scenario, Capture]],
    stack: ExitStack,
) -> Target | None:
    """Prism serving ``api``'s spec with the captured answers as examples; None (and a note)
    when it does not come up."""
    directory = settings.workdir / f"{api}-prism"
    directory.mkdir(parents=True, exist_ok=True)
    spec = write_prism_document(
        bundled_apis()[api].resolved, (answer for _, answer in captures), directory
    )
    port = free_port()
    server = ServerProcess.spawn(
        PRISM, prism_command(executable, spec, port), settings.workdir / f"{api}-prism.log"
    )
    stack.callback(server.stop)
    base = f"http://{LOOPBACK}:{port}"
    listing = captures[0][0]
    try:
        server.wait_ready({api: lambda: listing.request(base)})
        for scenario, answer in captures:
            _check_same_payload(base, scenario, answer)
    except RuntimeError as exc:
        settings.note(f"Prism left out for {api}: {exc}")
        return None
    return Target(PRISM, server, base)


def _check_same_payload(base_url: str, scenario: Scenario, answer: Capture) -> None:
    """Prism must answer the captured JSON (re-encoded by Prism, so compared as data)."""
    with httpx.Client(timeout=30.0) as client:
        response = send(client, scenario.request(base_url))
    if response.status_code != answer.status or response.json() != answer.json_body():
        raise RuntimeError(
            f"Prism answers {scenario.label} with {response.status_code} and another payload: "
            f"{response.text[:300]}"
        )


def _side_by_side(
    settings: Settings,
    section: str,
    scenario: Scenario,
    targets: list[Target],
    detail: str,
    *,
    timeout_s: float = 30.0,
) -> list[Run]:
    """``scenario`` on each target, ``settings.repeat`` rounds taking turns (so a change in the
    machine's load hits every server alike); each target's median round by req/s.

    Each target is warmed up before its first round; RSS is read right after each round.
    """
    rounds: dict[str, list[Run]] = {target.name: [] for target in targets}
    for number in range(settings.repeat):
        for target in targets:
            settings.say(f"{scenario.label} on {target.name} ({number + 1}/{settings.repeat})")
            request = scenario.request(target.base_url)
            if number == 0 and settings.warmup > 0:
                run_wrk(request, **_load(settings, settings.warmup), timeout_s=timeout_s)
            load = run_wrk(request, **_load(settings, settings.seconds), timeout_s=timeout_s)
            rss = target.server.rss_mb()
            rounds[target.name].append(Run(section, scenario.label, target.name, load, rss, detail))
    return [_median(runs) for runs in rounds.values()]


def _median(runs: list[Run]) -> Run:
    """The median run by req/s (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda run: run.load.rps)
    return ordered[(len(ordered) - 1) // 2]


def _load(settings: Settings, seconds: float) -> dict[str, Any]:
    return {"seconds": seconds, "connections": settings.connections, "threads": settings.threads}


def _describe(answer: Capture) -> str:
    size = len(answer.body)
    text = f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"
    if answer.content_type.startswith("application/json"):
        rows = _rows(answer.json_body())
        if rows is not None:
            text = f"{rows} records, {text}"
    return text


def _rows(body: Any) -> int | None:
    """The number of records of a list answer (a top-level array or an array property)."""
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return len(value)
            if isinstance(value, dict):
                found = _rows(value)
                if found is not None:
                    return found
    return None


def _timed_image(client: httpx.Client, url: str) -> float | None:
    """Milliseconds to receive the image at ``url``; None when there is none (404)."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1e3
    if response.status_code == 404:
        return None
    if not response.is_success or not response.headers["content-type"].startswith("image/"):
        raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return elapsed


def _json(client: httpx.Client, request: Request) -> Any:
    response = send(client, request)
    if not response.is_success:
        raise RuntimeError(
            f"{request.method} {request.url}: {response.status_code} {response.text[:300]}"
        )
    return response.json()
