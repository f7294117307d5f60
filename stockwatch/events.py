"""Typed events a client yields, made from the protocol's frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Product:
    """One product's state in a snapshot."""

    sku: str
    name: str
    stock: int
    seq: int
    updated_at: datetime | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Product:
        return cls(
            sku=data["sku"],
            name=data["name"],
            stock=data["stock"],
            seq=data["seq"],
            updated_at=_time(data.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class StockUpdate:
    """One committed change of a product's stock (a ``stock`` frame)."""

    sku: str
    name: str
    stock: int
    previous: int
    #: ``restock``, ``sold_out``, ``change`` or ``created``.
    event: str
    seq: int
    at: datetime | None

    @classmethod
    def from_frame(cls, frame: dict[str, Any]) -> StockUpdate:
        return cls(
            sku=frame["sku"],
            name=frame["name"],
            stock=frame["stock"],
            previous=frame["previous"],
            event=frame["event"],
            seq=frame["seq"],
            at=_time(frame.get("at")),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """A back-in-stock alert of the signed-in user fired (an ``alert`` frame)."""

    sku: str
    name: str
    stock: int
    message: str
    at: datetime | None

    @classmethod
    def from_frame(cls, frame: dict[str, Any]) -> Alert:
        return cls(
            sku=frame["sku"],
            name=frame["name"],
            stock=frame["stock"],
            message=frame["message"],
            at=_time(frame.get("at")),
        )


@dataclass(frozen=True, slots=True)
class RecoveryGap:
    """After a reconnect, events of these products were lost; ``snapshot`` is the truth.

    The server no longer had every event since the last one seen (``recovered: false``),
    or products appeared while the client was away; later events follow on from here.
    """

    snapshot: tuple[Product, ...]

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(product.sku for product in self.snapshot)


Event = StockUpdate | Alert | RecoveryGap
