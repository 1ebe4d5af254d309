"""The plugin loads in every pytest run of a repository that installed mockgate: loading it
imports none of the machinery its hooks and fixtures use."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("schemathesis", "hypothesis", "httpx", "starlette", "connexion", "uvicorn", "yaml", "rich")


@pytest.mark.slow  # a fresh interpreter: this one has imported everything already
def test_importing_the_plugin_imports_no_heavy_machinery():
    code = (
        "import sys, mockgate.pytest_plugin\n"
        f"print(' '.join(name for name in {HEAVY!r} if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []
