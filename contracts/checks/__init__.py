"""Every semantic check module; importing this package registers them all."""

from contracts.checks import common  # noqa: F401
