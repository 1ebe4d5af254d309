"""Any ASGI app on a loopback port, for tests whose client is a real process (curl, bash, the
CLI): ``with serving(app) as url: ...``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from mockgate.mockserver.handles import ThreadedServer


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` (the pytest fixtures' own threaded server); yields its base URL, stops it
    after."""
    server = ThreadedServer(app)
    try:
        yield server.start()
    finally:
        server.stop()
