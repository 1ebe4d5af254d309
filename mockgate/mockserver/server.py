"""Running several mocks in one process: one event loop, one uvicorn server per API.

Every mock's port is bound before any server starts: a port in use is a ``ListenError`` naming
the mock, for the command to say in one line, and nothing was served.

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
import errno
import gc
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.requests import ClientDisconnect

from mockgate.mockserver.asgi import Receive, Scope, Send
from mockgate.mockserver.connections import Refusal, ServerLimits, protocol

__all__ = ["ListenError", "MockServer", "serve", "server_config"]


@dataclass(frozen=True)
class MockServer:
    api: str
    host: str
    port: int
    app: Any
    # The JSON body of what the HTTP protocol refuses; None: text/plain.
    refusal: Refusal | None = None


class ListenError(Exception):
    """A mock cannot listen on its address: its port is taken (``in_use``), or the address is
    not this machine's, or not one this process may use."""

    def __init__(self, mock: MockServer, error: OSError) -> None:
        self.mock = mock
        self.error = error
        super().__init__(f"{mock.host}:{mock.port} ({mock.api}): {error}")

    @property
    def in_use(self) -> bool:
        return self.error.errno == errno.EADDRINUSE

    def message(self, port_option: str) -> str:
        """What to tell the user, in one line; ``port_option``: how to choose another port."""
        mock = self.mock
        if self.in_use:
            return (
                f"mockgate: port {mock.port} ({mock.api}) is already in use on {mock.host}: stop "
                f"what holds it, or choose another port with {port_option}"
            )
        reason = self.error.strerror or str(self.error)
        return (
            f"mockgate: cannot listen on {mock.host} port {mock.port} ({mock.api}): {reason}; "
            f"choose another port with {port_option}, or another --host"
        )


def _listen_all(mocks: list[MockServer]) -> list[list[socket.socket]]:
    """Each mock's listening sockets, bound here rather than by uvicorn, so a port that is
    taken is a ``ListenError`` before any mock starts (uvicorn would log it and exit)."""
    bound: list[list[socket.socket]] = []
    try:
        for mock in mocks:
            bound.append(_listen(mock))
    except ListenError:
        for sockets in bound:
            for sock in sockets:
                sock.close()
        raise
    return bound


def _listen(mock: MockServer) -> list[socket.socket]:
    # As asyncio's create_server binds a host and port: every address the host resolves to.
    try:
        infos = socket.getaddrinfo(
            mock.host or None, mock.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ListenError(mock, exc) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:  # a family this machine lacks (IPv6 off)
                continue
            sockets.append(sock)
            if os.name == "posix" and sys.platform != "cygwin":  # elsewhere it shares the port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # IPv6 only: the IPv4 address gets its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ListenError(mock, exc) from None
    return sockets


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The group stops every server on one signal; see serve().
        yield


def serve(
    mocks: list[MockServer],
    *,
    on_ready: Callable[[], None] | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> None:
    """Serve ``mocks`` until Ctrl-C (SIGINT) or SIGTERM, then shut every one down cleanly.

    Each of ``background`` is called once every server listens, and the coroutine it returns
    runs on the servers' loop until they stop. Their connections share the process's
    descriptors (``ServerLimits.sharing``). What they log goes to the process's logging setup
    (``mockserver.logs.configured``).
    """
    limits = ServerLimits.sharing(len(mocks))
    configs = [server_config(m.app, m.host, m.port, limits, m.refusal) for m in mocks]
    servers = [_Server(c) for c in configs]
    sockets = _listen_all(mocks)  # before anything starts: or ListenError
    # The seeded stores are most of the heap and live as long as the process: out of the cyclic
    # collector's reach, its full collections stop walking them (~15% more requests a second).
    # Reference counting still frees them after a reset or reload (records hold no cycles).
    gc.collect()
    gc.freeze()
    with asyncio.Runner(loop_factory=configs[0].get_loop_factory()) as runner:
        runner.run(_serve_all(servers, sockets, on_ready, background))


def server_config(
    app: Any,
    host: str,
    port: int,
    limits: ServerLimits,
    refusal: Refusal | None,
    *,
    log_level: str | None = None,
) -> uvicorn.Config:
    """How uvicorn serves ``app``: held to ``limits``, refusing in ``refusal``'s shape.

    uvicorn installs no logging of its own: its records go to the process's handlers at
    ``log_level`` (None: at the level the process's setup gives them).
    """
    return uvicorn.Config(
        _ClientGone(app),
        host=host,
        port=port,
        log_config=None,
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
    sockets: list[list[socket.socket]],
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
    tasks = [asyncio.create_task(s.serve(socks)) for s, socks in zip(servers, sockets, strict=True)]
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
