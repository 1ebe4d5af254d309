"""Running several mocks in one process: one event loop, one uvicorn server per API.

A request that uvicorn's HTTP parser refuses (a bad request line, folded or control-character
headers, conflicting lengths) never reaches an app, nor does one that breaks the connection's
limits (``mockserver.connections``: a head too large or too slow, a body too slow, one
connection too many); each server still answers it in its API's error shape, the server's
``refusal``. ``server_config`` builds the one uvicorn configuration every mock is served with
(here, and by ``handles.ThreadedServer`` for tests).

Background work that belongs to the running servers (the file watcher of ``--reload``) runs as
tasks on the same loop: started once every server listens, cancelled when they stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.requests import ClientDisconnect

from mockgate.mockserver.asgi import Receive, Scope, Send
from mockgate.mockserver.connections import Refusal, ServerLimits, protocol

__all__ = ["MockServer", "serve", "server_config"]


@dataclass(frozen=True)
class MockServer:
    api: str
    host: str
    port: int
    app: Any
    # The JSON body of what the HTTP protocol refuses; None: text/plain.
    refusal: Refusal | None = None


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The group stops every server on one signal; see serve().
        yield


def serve(
    mocks: list[MockServer],
    *,
    log_level: str = "info",
    on_ready: Callable[[], None] | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> None:
    """Serve ``mocks`` until Ctrl-C (SIGINT) or SIGTERM, then shut every one down cleanly.

    Each of ``background`` is called once every server listens, and the coroutine it returns
    runs on the servers' loop until they stop. Their connections share the process's
    descriptors (``ServerLimits.sharing``).
    """
    limits = ServerLimits.sharing(len(mocks))
    configs = [
        server_config(m.app, m.host, m.port, limits, m.refusal, log_level=log_level) for m in mocks
    ]
    servers = [_Server(c) for c in configs]
    # The seeded stores are most of the heap and live as long as the process: out of the cyclic
    # collector's reach, its full collections stop walking them (~15% more requests a second).
    # Reference counting still frees them after a reset or reload (records hold no cycles).
    gc.collect()
    gc.freeze()
    with asyncio.Runner(loop_factory=configs[0].get_loop_factory()) as runner:
        runner.run(_serve_all(servers, on_ready, background))


def server_config(
    app: Any,
    host: str,
    port: int,
    limits: ServerLimits,
    refusal: Refusal | None,
    *,
    log_level: str = "info",
) -> uvicorn.Config:
    """How uvicorn serves ``app``: held to ``limits``, refusing in ``refusal``'s shape."""
    return uvicorn.Config(
        _ClientGone(app),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # mockgate writes its own access line
        lifespan="off",
        http=protocol(limits, refusal),
        ws="none",  # no mock speaks WebSocket: an upgrade is a plain request
        timeout_keep_alive=limits.idle_timeout,
    )


class _ClientGone:
    """Ends a request quietly when its client left before its body ended (``read_body`` raises
    ``ClientDisconnect``, as Starlette's ``Request.body`` does): there is no one to answer, and
    no server error to log."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:  # no context manager: this runs on every request
            await self.app(scope, receive, send)
        except ClientDisconnect:
            return


async def _serve_all(
    servers: list[_Server],
    on_ready: Callable[[], None] | None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]],
) -> None:
    loop = asyncio.get_running_loop()

    def stop(force: bool = False) -> None:
        for server in servers:
            server.force_exit = server.should_exit or force
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    helpers: list[asyncio.Task[None]] = []
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):  # a server failed to start (e.g. port in use)
            stop(force=True)
            break
        await asyncio.sleep(0.01)
    else:
        if on_ready is not None:
            on_ready()
        helpers = [asyncio.create_task(start()) for start in background]
    try:
        await asyncio.gather(*tasks)
    finally:
        for helper in helpers:
            helper.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
    failed = [s.config.port for s in servers if not s.started]
    if failed:
        raise SystemExit(f"could not listen on port(s) {', '.join(map(str, failed))}")
