"""The only writers of stock: each change is locked, logged and announced after commit."""

import logging
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.metrics import OBSERVER_FAILURES
from inventory.models import Product, Source, StockEvent
from inventory.signals import StockChange, stock_change_recorded, stock_changed

logger = logging.getLogger(__name__)

#: The most a product can hold: the range of the stock column on every supported database.
MAX_STOCK = 2**31 - 1


class ProductExists(Exception):
    """A product with this sku exists already."""


class InsufficientStock(Exception):
    """A sale asked for more than is in stock."""

    def __init__(self, *, sku: str, stock: int, quantity: int) -> None:
        super().__init__(f"{sku} has {stock} in stock, cannot sell {quantity}")
        self.stock = stock


def product_create(
    *,
    sku: str,
    name: str,
    stock: int = 0,
    actor: AbstractBaseUser | None = None,
    source: str = Source.API,
) -> Product:
    """Create a product at seq 0 and announce it as a ``created`` event."""
    _require_storable(stock)
    product = Product(sku=sku, name=name, stock=stock, seq=0, updated_at=timezone.now())
    product.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            product.save(force_insert=True)
            _log_and_announce(product, previous=0, actor=actor, source=source)
    except IntegrityError:
        if Product.objects.filter(sku=sku).exists():
            raise ProductExists(sku) from None
        raise
    return product


@transaction.atomic
def product_restock(
    *, sku: str, quantity: int, actor: AbstractBaseUser | None = None, source: str = Source.API
) -> Product:
    """Add ``quantity`` to the stock."""
    _require_quantity(quantity)
    product = _lock(sku)
    return _apply(product, product.stock + quantity, actor=actor, source=source)


@transaction.atomic
def product_sell(
    *, sku: str, quantity: int, actor: AbstractBaseUser | None = None, source: str = Source.API
) -> Product:
    """Take ``quantity`` out of stock, refusing to go below zero."""
    _require_quantity(quantity)
    product = _lock(sku)
    if quantity > product.stock:
        raise InsufficientStock(sku=sku, stock=product.stock, quantity=quantity)
    return _apply(product, product.stock - quantity, actor=actor, source=source)


@transaction.atomic
def product_set_stock(
    *, sku: str, stock: int, actor: AbstractBaseUser | None = None, source: str = Source.API
) -> Product:
    """Set the stock to an absolute count; setting it to what it is changes nothing."""
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise ValidationError({"stock": "must be an integer of at least 0"})
    product = _lock(sku)
    return _apply(product, stock, actor=actor, source=source)


def _require_quantity(quantity: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValidationError({"quantity": "must be an integer of at least 1"})


def _require_storable(stock: int) -> None:
    # Beyond this PostgreSQL fails the UPDATE with a DataError instead of a clear refusal.
    if isinstance(stock, int) and stock > MAX_STOCK:
        raise ValidationError({"stock": f"must be at most {MAX_STOCK}"})


def _lock(sku: str) -> Product:
    # Raises Product.DoesNotExist for an unknown sku.
    return Product.objects.select_for_update().get(sku=sku)


def _apply(product: Product, stock: int, *, actor: AbstractBaseUser | None, source: str) -> Product:
    if stock == product.stock:
        return product
    _require_storable(stock)
    previous = product.stock
    product.stock = stock
    product.seq += 1
    product.updated_at = timezone.now()
    product.save(update_fields=["stock", "seq", "updated_at"])
    _log_and_announce(product, previous=previous, actor=actor, source=source)
    return product


def _log_and_announce(
    product: Product, *, previous: int, actor: AbstractBaseUser | None, source: str
) -> None:
    change = StockChange(
        sku=product.sku,
        name=product.name,
        previous=previous,
        stock=product.stock,
        seq=product.seq,
        at=product.updated_at,
    )
    StockEvent.objects.create(
        product=product,
        sku=product.sku,
        seq=product.seq,
        previous=previous,
        stock=product.stock,
        event=change.event,
        at=change.at,
        actor=actor if actor is not None and actor.is_authenticated else None,
        source=source,
    )
    transaction.on_commit(partial(stock_change_announce, change=change))
    # After registering the announcement, so that its stock frame goes out before any
    # frame of what in-transaction observers announce.
    stock_change_recorded.send(sender=Product, change=change)


def stock_change_announce(*, change: StockChange) -> None:
    """Tell every observer about a committed change; a failing one never stops the rest."""
    for receiver, result in stock_changed.send_robust(sender=Product, change=change):
        if isinstance(result, Exception):
            OBSERVER_FAILURES.labels(observer=_receiver_name(receiver)).inc()
            logger.error(
                "stock observer %s failed for %s#%s",
                _receiver_name(receiver),
                change.sku,
                change.seq,
                exc_info=result,
            )


def _receiver_name(receiver: object) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', receiver)}"
