"""Reads of products and of the stock event log."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Collate
from django.utils import timezone

from inventory.models import Product, StockEvent
from inventory.serializers import product_data
from inventory.signals import StockChange

#: Cache key of the serialised product list; the cache observer deletes it on every change.
PRODUCT_LIST_CACHE_KEY = "inventory:product-list:v1"
#: Bounds how stale the list may be when a change was made by a process that shares no cache.
PRODUCT_LIST_CACHE_SECONDS = 2


def product_list_data() -> list[dict]:
    """Every product as API data, ordered by sku, served from the cache when fresh."""
    data = cache.get(PRODUCT_LIST_CACHE_KEY)
    if data is None:
        data = [product_data(product) for product in products_by_sku(Product.objects.all())]
        cache.set(PRODUCT_LIST_CACHE_KEY, data, PRODUCT_LIST_CACHE_SECONDS)
    return data


def product_snapshot(*, skus: Iterable[str] | None) -> list[Product]:
    """The products named by ``skus`` (all when None), read from the database, by sku."""
    queryset = Product.objects.all()
    if skus is not None:
        queryset = queryset.filter(sku__in=list(skus))
    return list(products_by_sku(queryset))


def products_by_sku(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Order by sku in ASCII order, whatever the database's collation."""
    if connection.vendor == "postgresql":
        return queryset.order_by(Collate("sku", "C"))
    return queryset.order_by("sku")  # SQLite compares bytes.


def stock_changes_between(*, sku: str, after: int, upto: int) -> list[StockChange] | None:
    """The changes of ``sku`` with ``after < seq <= upto``, oldest first.

    Returns None when the log no longer holds all of them (older than the retention).
    """
    if upto <= after:
        return []
    horizon = timezone.now() - timedelta(hours=settings.STOCKWATCH_EVENT_RETENTION_HOURS)
    rows = list(
        StockEvent.objects.filter(sku=sku, seq__gt=after, seq__lte=upto, at__gte=horizon)
        .select_related("product")
        .order_by("seq")
    )
    if len(rows) != upto - after:
        return None
    return [stock_change_from_event(row) for row in rows]


def stock_changes_since(*, after: datetime, skus: Iterable[str] | None = None) -> list[StockChange]:
    """Changes logged at or after ``after`` (all skus when None), in log order."""
    queryset = StockEvent.objects.filter(at__gte=after).select_related("product").order_by("id")
    if skus is not None:
        queryset = queryset.filter(sku__in=list(skus))
    return [stock_change_from_event(row) for row in queryset]


def stock_change_from_event(event: StockEvent) -> StockChange:
    """The announcement a logged event made (with the product's current name)."""
    return StockChange(
        sku=event.sku,
        name=event.product.name,
        previous=event.previous,
        stock=event.stock,
        seq=event.seq,
        at=event.at,
    )


def stock_changes_after(*, sku: str, after: int, upto: int) -> list[StockChange]:
    """Whatever the log holds of ``sku`` with ``after < seq <= upto``, oldest first."""
    rows = StockEvent.objects.filter(sku=sku, seq__gt=after, seq__lte=upto).select_related(
        "product"
    )
    return [stock_change_from_event(row) for row in rows.order_by("seq")]


def product_seqs(*, skus: Iterable[str] | None) -> dict[str, int]:
    """The current seq of each product named (all when None)."""
    queryset = Product.objects.all()
    if skus is not None:
        queryset = queryset.filter(sku__in=list(skus))
    return dict(queryset.values_list("sku", "seq"))


def product_skus_existing(*, skus: Iterable[str]) -> set[str]:
    """Which of ``skus`` name a product."""
    return set(Product.objects.filter(sku__in=list(skus)).values_list("sku", flat=True))
