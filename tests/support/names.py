"""Unique names, so tests that share one server never touch each other's products."""

import itertools
import os

_counter = itertools.count(1)


def sku(prefix: str = "E2E") -> str:
    """A valid sku no other test of this run uses."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"
