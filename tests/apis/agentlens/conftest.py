from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import IO, Any

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

from mockgate.openapi.catalog import get_api


@pytest.fixture(scope="session")
def agentlens_spec() -> dict[str, Any]:
    """The AgentLens spec with every ``$ref`` resolved (prance)."""
    return get_api("agentlens").resolved


@pytest.fixture(scope="session")
def schema_errors(agentlens_spec) -> Callable[[str, Any], list[str]]:
    """``schema_errors("Session", obj)``: the messages of every way ``obj`` breaks that schema.

    Read (response) semantics and format checking (``date-time`` included), as the contract tests
    apply them to a server's answers.
    """
    schemas = agentlens_spec["components"]["schemas"]
    validators: dict[str, OAS30ReadValidator] = {}

    def errors(name: str, instance: Any) -> list[str]:
        if name not in validators:
            validators[name] = OAS30ReadValidator(
                schemas[name], format_checker=OAS30Validator.FORMAT_CHECKER
            )
        found = validators[name].iter_errors(instance)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]

    return errors


# One Node.js process for the whole test package. Each stdin line is a JSON array
# ``[operation, value]``; each stdout line the answer:
# - ``stringify``: the hex of ``JSON.stringify(value)``'s UTF-8 bytes;
# - ``hash``: the real server's HASH_VERSION 2 event hash of ``value`` (a stored event).
# JSON.parse rounds big integers to doubles and moves index keys first exactly as ``stringify``
# models it, so sending values as JSON (ASCII-escaped, lone surrogates included) is faithful.
_ORACLE = """
const crypto = require('crypto');
const operations = {
  stringify: (v) => Buffer.from(JSON.stringify(v), 'utf8').toString('hex'),
  hash: (e) => crypto.createHash('sha256').update(JSON.stringify({v: 2, id: e.id,
    timestamp: e.timestamp, sessionId: e.sessionId, agentId: e.agentId, eventType: e.eventType,
    severity: e.severity, payload: e.payload, metadata: e.metadata, prevHash: e.prevHash,
  })).digest('hex'),
};
require('readline').createInterface({input: process.stdin}).on('line', (line) => {
  const [operation, value] = JSON.parse(line);
  process.stdout.write(operations[operation](value) + '\\n');
});
"""


class NodeOracle:
    """Asks the Node.js process; one line out, one line back."""

    def __init__(self, stdin: IO[str], stdout: IO[str]) -> None:
        self._stdin = stdin
        self._stdout = stdout

    def _ask(self, operation: str, value: Any) -> str:
        request = json.dumps([operation, value], ensure_ascii=True, allow_nan=False)
        self._stdin.write(request + "\n")
        self._stdin.flush()
        return self._stdout.readline().strip()

    def stringify(self, value: Any) -> bytes:
        """``JSON.stringify(value)`` as UTF-8 bytes."""
        return bytes.fromhex(self._ask("stringify", value))

    def event_hash(self, event: dict[str, Any]) -> str:
        """The real server's hash of ``event``, chained on its own ``prevHash``."""
        return self._ask("hash", event)


@pytest.fixture(scope="session")
def node() -> Iterator[NodeOracle]:
    """Node.js as the oracle for JSON.stringify and the event hash (skips without Node.js)."""
    executable = shutil.which("node")
    if executable is None:
        pytest.skip("node is not on PATH: the JSON.stringify / hash oracle needs Node.js")
    proc = subprocess.Popen(
        [executable, "-e", _ORACLE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="ascii",
        bufsize=1,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    with proc, proc.stdin, proc.stdout:
        yield NodeOracle(proc.stdin, proc.stdout)
