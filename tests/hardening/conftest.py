"""Fixtures and Hypothesis profiles for the hardening tests."""

import os

from hypothesis import HealthCheck, settings

# The store's: callers of each kind, two products, an empty cache and rate-limit counters.
from tests.inventory.conftest import (  # noqa: F401
    clerk,
    clerk_client,
    clerk_token,
    fresh_cache,
    lamp,
    shopper,
    sold_out_mug,
    staff_without_permission,
    static_root,
    superuser,
)

# One fixed seed by default, so a run is repeatable and CI never flakes on a new example;
# ``HYPOTHESIS_PROFILE=explore`` draws fresh examples (and more of them) on demand.
settings.register_profile(
    "repeatable",
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    # The fuzz tests keep one connection (or client) across examples on purpose: that the
    # same connection survives every bad frame is what they check.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    parent=settings.get_profile("repeatable"),
    max_examples=2000,
    derandomize=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
