"""YAML text parsed the one way mockgate parses it: PyYAML's safe loader, in C (libyaml) when
PyYAML was built with it.

The pure-Python parsers (PyYAML's and ruamel's, which prance uses) took most of a four-API
start-up (~2 s); libyaml parses the same specs ~30x faster into the same objects.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["YAMLError", "compose", "load"]

YAMLError = yaml.YAMLError

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """The document in ``text`` as Python objects (YAML 1.1 safe types)."""
    return yaml.load(text, Loader=_Loader)


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text``, with each node's line and column (for locating problems)."""
    return yaml.compose(text, Loader=_Loader)
