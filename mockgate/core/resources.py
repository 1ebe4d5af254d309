"""Where the bundled specs and seed data are.

In a wheel they are package data under ``mockgate/_bundled/`` (see ``pyproject.toml``); in a
source checkout (editable install, or tests run from the repository) they are the top-level
``specs/`` and ``fixtures/`` directories beside the package, so edits take effect at once.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["fixtures_dir", "specs_dir"]


def _root() -> Path:
    bundled = files("mockgate") / "_bundled"
    if bundled.is_dir():
        # Wheels install unzipped, so the Traversable is a real directory.
        return Path(str(bundled))
    return Path(__file__).resolve().parents[2]  # mockgate/core/ -> the repository


def specs_dir() -> Path:
    """The directory holding ``<api>.yaml`` for every bundled API."""
    return _root() / "specs"


def fixtures_dir() -> Path:
    """The directory holding seed data and the documents' examples."""
    return _root() / "fixtures"
