"""The announcement of committed stock changes, which every observer receives."""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal


@dataclass(frozen=True, slots=True)
class StockChange:
    """One committed change of one product's stock, as observers see it."""

    sku: str
    name: str
    previous: int
    stock: int
    seq: int
    at: datetime

    @property
    def event(self) -> str:
        if self.seq == 0:
            return "created"
        if self.previous == 0 < self.stock:
            return "restock"
        return "sold_out" if self.stock == 0 else "change"


#: Sent with ``send_robust`` after the change's transaction commits, with ``change=StockChange``.
stock_changed = Signal()

#: Sent with plain ``send`` inside the change's transaction, right after its log row is written,
#: with ``change=StockChange``: for observers whose own writes must commit or roll back with
#: the change. One that raises rolls the change back, so keep them few and sure.
stock_change_recorded = Signal()
