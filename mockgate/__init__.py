"""mockgate: contract specs, stateful mocks and conformance suites for four HTTP APIs.

The one import root of everything mockgate installs; ``ARCHITECTURE.md`` maps its packages.
"""

import warnings

__version__ = "0.1.0"

# Connexion 3.3 imports starlette.testclient, which warns under Starlette 1.10 on every start of
# `mockgate serve`; the warning concerns a test client mockgate does not use.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
