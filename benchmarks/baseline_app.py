"""The floor: bare Starlette on uvicorn (uvloop + httptools) answering fixed, captured bytes.

    python -m benchmarks.baseline_app ROUTES.json --port PORT

``ROUTES.json`` lists ``{"method", "path", "status", "content_type", "body"}`` objects, where
``body`` is the name of a file next to it holding the exact bytes to answer. Whatever a request
carries (query, headers, body), its route answers those bytes: the cost measured is HTTP
parsing, routing and writing the response, nothing else.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.prism_spec import Capture

__all__ = ["create_app", "main", "write_routes"]


def _endpoint(body: bytes, status: int, content_type: str) -> Any:
    async def answer(request: Request) -> Response:
        return Response(body, status, media_type=content_type)

    return answer


def write_routes(answers: Iterable[tuple[str, Capture]], directory: Path) -> Path:
    """A routes file (and its body files) in ``directory`` answering each ``(path, capture)``;
    a query in ``path`` is ignored."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for number, (path, capture) in enumerate(answers):
        body = f"body-{number}"
        (directory / body).write_bytes(capture.body)
        entries.append(
            {
                "method": capture.method,
                "path": path.split("?")[0],
                "status": capture.status,
                "content_type": capture.content_type,
                "body": body,
            }
        )
    routes = directory / "routes.json"
    routes.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    return routes


def create_app(routes_file: Path) -> Starlette:
    """A Starlette app serving the routes listed in ``routes_file``."""
    entries = json.loads(routes_file.read_text(encoding="utf-8"))
    routes = [
        Route(
            entry["path"],
            _endpoint(
                (routes_file.parent / entry["body"]).read_bytes(),
                entry["status"],
                entry["content_type"],
            ),
            methods=[entry["method"]],
        )
        for entry in entries
    ]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routes", type=Path, help="routes file (JSON)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.routes),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
