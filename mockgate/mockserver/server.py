"""Running several mocks in one process: one event loop, one uvicorn server per API.

A request that uvicorn's HTTP parser refuses (a bad request line, folded or control-character
headers, conflicting lengths) never reaches an app; each server still answers it in its API's
error shape, through a protocol class whose 400 is the server's ``refusal`` body.

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
from uvicorn.protocols.http.auto import AutoHTTPProtocol

__all__ = ["MockServer", "serve"]


@dataclass(frozen=True)
class MockServer:
    api: str
    host: str
    port: int
    app: Any
    # The JSON body of the 400 for a request the HTTP parser refused; None: uvicorn's own
    # text/plain answer.
    refusal: Callable[[], bytes] | None = None


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
    runs on the servers' loop until they stop.
    """
    configs = [
        uvicorn.Config(
            m.app,
            host=m.host,
            port=m.port,
            log_level=log_level,
            access_log=False,  # mockgate writes its own access line
            lifespan="off",
            http=_protocol(m.refusal) if m.refusal is not None else "auto",
        )
        for m in mocks
    ]
    servers = [_Server(c) for c in configs]
    # The seeded stores are most of the heap and live as long as the process: out of the cyclic
    # collector's reach, its full collections stop walking them (~15% more requests a second).
    # Reference counting still frees them after a reset or reload (records hold no cycles).
    gc.collect()
    gc.freeze()
    with asyncio.Runner(loop_factory=configs[0].get_loop_factory()) as runner:
        runner.run(_serve_all(servers, on_ready, background))


def _protocol(refusal: Callable[[], bytes]) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools when installed, else h11), answering what its parser
    refuses with ``refusal()`` as JSON instead of text/plain."""

    # AutoHTTPProtocol is a variable (uvicorn picks httptools' or h11's class when imported),
    # and mypy takes no variable as a base class.
    class RefusingProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]  # see above
        def send_400_response(self, msg: str) -> None:
            body = refusal()
            head = [b"HTTP/1.1 400 Bad Request"]
            head += [name + b": " + value for name, value in self.server_state.default_headers]
            head += [
                b"content-type: application/json",
                b"content-length: %d" % len(body),
                b"connection: close",
            ]
            self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
            self.transport.close()

    return RefusingProtocol


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
