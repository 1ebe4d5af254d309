"""Mocks for other repos' tests: started in-process or on a free loopback port, reset between
tests, with the clock, the request journal and faults at hand. Used by the pytest plugin's
fixtures; usable without pytest too."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import uvicorn

from mockgate.apis.context import MockContext, MockOptions
from mockgate.core.clock import Clock
from mockgate.core.faults import Fault
from mockgate.mockserver.app import MockApp, context_of, create_app
from mockgate.mockserver.connections import Refusal, ServerLimits
from mockgate.mockserver.responses import parser_refusal
from mockgate.mockserver.server import server_config

__all__ = ["MockFactory", "MockHandle", "ThreadedServer"]


class MockHandle:
    """One running mock: ``base_url``, ``client``, ``reset()``, ``clock``, ``requests()``,
    ``fault(...)``, and ``ctx`` for anything else."""

    def __init__(self, api: str, app: Any, base_url: str, client: httpx.Client) -> None:
        self.api = api
        self.app = app
        self.base_url = base_url
        self.client = client

    @property
    def ctx(self) -> MockContext:
        return context_of(self.app)

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    def reset(self, *, clock: bool = False) -> None:
        """Back to the seeded state: data, journal, faults and scenario; with ``clock``, the
        clock too (``POST /__mockgate/reset`` and ``{"clock": true}``)."""
        self.ctx.reset(clock=clock)

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal of requests received since the last reset, oldest first."""
        return [entry.to_json() for entry in self.ctx.journal.entries(**filters)]

    def fault(
        self,
        operation: str,
        *,
        status: int | None = None,
        delay_ms: int = 0,
        times: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> str:
        """Make ``operation`` (an operationId, or ``*``) fail or slow down; returns its id."""
        known = {op.operation_id for op in self.ctx.spec.operations if op.operation_id}
        fault = Fault.from_json(
            {"operation": operation, "status": status, "delay_ms": delay_ms, "times": times}
            | ({"body": body} if body is not None else {}),
            known_operations=known,
        )
        return self.ctx.faults.add(fault)


class MockFactory:
    """Starts mocks on demand and keeps them for the session (one per API and mode)."""

    def __init__(self) -> None:
        self._handles: dict[tuple[str, bool], MockHandle] = {}
        self._servers: list[ThreadedServer] = []

    def start(self, api: str, *, live: bool = False, **options: Any) -> MockHandle:
        """The mock of ``api``: in-process (an ASGI app and a client bound to it) or, with
        ``live``, served by uvicorn on a free loopback port for clients that need a socket.
        ``options`` are ``MockOptions`` fields, used on first start (e.g. ``seed``,
        ``dataset``); responses are checked against the spec unless ``validate_responses`` is
        False."""
        key = (api, live)
        if key not in self._handles:
            options.setdefault("validate_responses", True)
            app = create_app(api, MockOptions(**options))
            if live:
                server = ThreadedServer(app)
                self._servers.append(server)
                base_url = server.start()
                client = httpx.Client(base_url=base_url, follow_redirects=False)
            else:
                from starlette.testclient import TestClient

                # A loopback name: the mock answers no other Host unless told (allowed_hosts).
                base_url = "http://localhost"
                client = TestClient(app, base_url=base_url)
            self._handles[key] = MockHandle(api, app, base_url, client)
        return self._handles[key]

    def close(self) -> None:
        for handle in self._handles.values():
            handle.client.close()
        for server in self._servers:
            server.stop()


class ThreadedServer:
    """An ASGI app served by uvicorn in a thread on a free loopback port, as ``mockgate serve``
    serves it (same limits and refusals): ``start()`` gives its base URL, ``stop()`` ends it.

    ``refusal`` defaults to a mock's own error shape (text/plain for another app)."""

    def __init__(
        self, app: Any, limits: ServerLimits | None = None, refusal: Refusal | None = None
    ) -> None:
        if refusal is None and isinstance(app, MockApp):
            ctx = context_of(app)
            refusal = parser_refusal(ctx.api, ctx.clock.now)
        limits = limits or ServerLimits()
        config = server_config(app, "127.0.0.1", 0, limits, refusal, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True, name="mockgate-server")

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the mock server did not start")
            time.sleep(0.01)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
