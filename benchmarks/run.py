"""mockgate against Prism and bare Starlette, side by side, on loopback with wrk.

    python benchmarks/run.py                 # everything, ~5 s a run (a few minutes in all)
    python benchmarks/run.py --quick         # 2 s runs, 1 s warm-ups
    python benchmarks/run.py --section reads --apis agentlens --json results.json

Every server is a real subprocess on a free loopback port: mockgate through its CLI (response
self-validation on), a bare Starlette app on uvicorn (uvloop + httptools) answering the bytes
mockgate answered, and Prism 5's static mock (installed from npm into a cache directory) serving
the API's spec with those bytes as its example. Figures are printed, never asserted; see
benchmarks/README.md for what each one means.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts benchmarks/ first on sys.path; the modules import each other as
# the ``benchmarks`` namespace package, from the repository root, instead.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
