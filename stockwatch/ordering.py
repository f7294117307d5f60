"""Per-product seq bookkeeping: yield each event once, in order, and say where to resume."""

from __future__ import annotations

from collections.abc import Iterable


class SeqTracker:
    """The last seq seen of each product."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def accept(self, sku: str, seq: int) -> bool:
        """Whether an event is new; a repeat or an older seq is refused and changes nothing."""
        if seq <= self._last.get(sku, -1):
            return False
        self._last[sku] = seq
        return True

    def advance(self, sku: str, seq: int) -> None:
        """A snapshot shows ``seq``: what it covers is no longer news."""
        if seq > self._last.get(sku, -1):
            self._last[sku] = seq

    def reset(self, sku: str, seq: int) -> None:
        """Take ``seq`` as the truth, even below what was seen (the store was replaced)."""
        self._last[sku] = seq

    def forget(self, skus: Iterable[str] | None) -> None:
        """Stop tracking these products (all when None): they are no longer watched."""
        if skus is None:
            self._last.clear()
        for sku in skus or ():
            self._last.pop(sku, None)

    def last(self, sku: str) -> int | None:
        return self._last.get(sku)

    def __contains__(self, sku: object) -> bool:
        return sku in self._last

    def since(self, skus: Iterable[str] | None = None) -> dict[str, int]:
        """The ``since`` of a subscribe: the last seq of each known sku (of ``skus``)."""
        if skus is None:
            return dict(self._last)
        return {sku: self._last[sku] for sku in skus if sku in self._last}
