"""The health endpoints' bodies, with live figures.

What the real (Node) server reports about itself, the mock reports about itself:

- ``uptime``: seconds since the mock started, on its clock (so moving the clock ages it);
- ``latency`` / ``databaseLatency``: the time one read of the store took, in milliseconds;
- ``activeSessionCount``: sessions with status ``active`` in the store (after the stall rule);
- ``averageResponseTime`` and ``errorRate``: over the requests in the mock's journal (its last
  1000 API requests): mean duration in ms, and the share answered with a 5xx;
- ``memoryUsage`` / ``heapUsed`` / ``heapTotal`` / ``rss``: the mock process' resident and
  virtual memory in bytes (``/proc/self/statm`` where there is one, else the peak resident
  size); ``external`` is 0 (a Python process has no V8 external memory);
- ``cpuUsage``: the process' user and system CPU time in microseconds;
- ``platform``, ``arch``, ``cpus``, ``totalMemory``, ``freeMemory``: the host's, in Node's
  vocabulary (``linux``/``darwin``/``win32``, ``x64``/``arm64``);
- ``nodeVersion``: the documented ``v20.10.6`` (the mock runs no Node; the field describes the
  API's runtime, and clients may parse it), ``version``: the spec's ``info.version``.

Checks are ``"ok"``; ``responseTime`` says ``"slow"`` when the average is above 1 s.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mockgate.core.timestamps import format_timestamp

__all__ = [
    "NODE_VERSION",
    "Figures",
    "detailed",
    "health",
    "host",
    "liveness",
    "process",
    "readiness",
    "system",
]

NODE_VERSION = "v20.10.6"
_SLOW_MS = 1000.0
_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "i386": "ia32"}


@dataclass(frozen=True)
class Figures:
    """What the handler measured for one health answer."""

    now: datetime
    uptime: float
    latency_ms: float
    active_sessions: int = 0
    average_response_ms: float = 0.0
    error_rate: float = 0.0
    version: str = "0.1.0"


def health(f: Figures) -> dict[str, Any]:
    """``GET /health``."""
    return {
        "status": "ok",
        "timestamp": format_timestamp(f.now),
        "uptime": f.uptime,
        "database": "connected",
        "latency": f.latency_ms,
    }


def readiness(now: datetime) -> dict[str, Any]:
    """``GET /health/ready`` when ready (the 503 body comes from ``envelope``)."""
    return {"ready": True, "timestamp": format_timestamp(now), "database": "connected"}


def liveness(f: Figures) -> dict[str, Any]:
    """``GET /health/live``."""
    return {"alive": True, "timestamp": format_timestamp(f.now), "uptime": f.uptime}


def detailed(f: Figures, proc: dict[str, int]) -> dict[str, Any]:
    """``GET /health/detailed``."""
    return {
        "status": "ok",
        "timestamp": format_timestamp(f.now),
        "uptime": f.uptime,
        "database": {"status": "connected", "latency": f.latency_ms},
        "metrics": {
            "uptime": f.uptime,
            "memoryUsage": {"heapUsed": proc["heapUsed"], "heapTotal": proc["heapTotal"]},
            "cpuUsage": {"user": proc["cpuUser"], "system": proc["cpuSystem"]},
            "activeSessionCount": f.active_sessions,
            "errorRate": f.error_rate,
            "averageResponseTime": f.average_response_ms,
            "databaseLatency": f.latency_ms,
            "version": f.version,
        },
        "checks": {
            "memory": "ok",
            "database": "ok",
            "responseTime": "slow" if f.average_response_ms > _SLOW_MS else "ok",
        },
    }


def system(f: Figures, proc: dict[str, int], machine: dict[str, Any]) -> dict[str, Any]:
    """``GET /health/system``."""
    return {
        "uptime": f.uptime,
        "nodeVersion": NODE_VERSION,
        "platform": machine["platform"],
        "arch": machine["arch"],
        "cpus": machine["cpus"],
        "totalMemory": machine["totalMemory"],
        "freeMemory": machine["freeMemory"],
        "heapUsed": proc["heapUsed"],
        "heapTotal": proc["heapTotal"],
        "external": 0,
        "rss": proc["rss"],
    }


def process() -> dict[str, int]:
    """The mock process' memory (bytes) and CPU time (microseconds)."""
    rss, total = _memory()
    times = os.times()
    return {
        "rss": rss,
        "heapUsed": rss,
        "heapTotal": max(rss, total),
        "cpuUser": int(times.user * 1_000_000),
        "cpuSystem": int(times.system * 1_000_000),
    }


def host() -> dict[str, Any]:
    """The host's platform, architecture, CPU count and memory (bytes)."""
    total = free = 0
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = page * os.sysconf("SC_PHYS_PAGES")
        free = page * os.sysconf("SC_AVPHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    return {
        "platform": sys.platform,
        "arch": _ARCH.get(platform.machine().lower(), platform.machine().lower() or "unknown"),
        "cpus": os.cpu_count() or 1,
        "totalMemory": max(0, total),
        "freeMemory": max(0, free),
    }


def _memory() -> tuple[int, int]:
    """(resident, virtual) bytes of this process."""
    try:
        fields = Path("/proc/self/statm").read_text().split()
        page = os.sysconf("SC_PAGE_SIZE")
        return int(fields[1]) * page, int(fields[0]) * page
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource  # Unix only; not on Windows.
    except ImportError:
        return 0, 0
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Linux reports kilobytes, macOS bytes.
        peak_bytes = peak if sys.platform == "darwin" else peak * 1024
        return peak_bytes, peak_bytes
