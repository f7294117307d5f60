"""The announcement of fired back-in-stock alerts, which live delivery receives."""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal


@dataclass(frozen=True, slots=True)
class FiredAlert:
    """One alert that a committed restock fired: who is told, and about what."""

    user_id: int
    sku: str
    name: str
    stock: int
    #: The seq of the restock that fired it.
    seq: int
    #: The restock's commit time.
    at: datetime


#: Sent with ``send_robust`` after the restock's transaction commits, with
#: ``fired=list[FiredAlert]`` (one restock's alerts, one per user).
alerts_fired = Signal()
