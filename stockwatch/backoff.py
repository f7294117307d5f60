"""Reconnection delays: exponential, capped and jittered so clients do not return in step."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before reconnection ``attempt`` (0 for the first after a drop).

    The ceiling doubles with each attempt up to ``cap``; the delay is drawn from the
    upper half of it, so it never collapses to zero and never exceeds the cap.
    """
    ceiling = min(cap, base * 2 ** min(attempt, 32))
    return ceiling / 2 + rand() * ceiling / 2
