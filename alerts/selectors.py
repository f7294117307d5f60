"""Reads of alerts."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from alerts.models import AlertStatus, BackInStockAlert
from alerts.signals import FiredAlert
from inventory.models import EventKind, Product, StockEvent


def alert_list(*, user: AbstractBaseUser) -> list[BackInStockAlert]:
    """The user's current alert per product, armed or notified, ordered by sku.

    Each arming after a notification or a cancellation makes a new row and keeps the old
    one as history; only a product's newest row says where the user stands, and a
    cancelled one means no alert.
    """
    rows = (
        BackInStockAlert.objects.filter(user=user)
        .select_related("product")
        .order_by("product__sku", "-created_at", "-id")
    )
    newest: dict[int, BackInStockAlert] = {}
    for row in rows:
        newest.setdefault(row.product_id, row)
    return [row for row in newest.values() if row.status != AlertStatus.CANCELLED]


def product_demand(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """``queryset`` annotated with each product's demand.

    ``armed_alerts``: alerts waiting now; ``last_restock_seq``: the seq of its last
    restock (None before the first); ``fired_on_last_restock``: the alerts that restock
    fired, also those armed again since.
    """
    last_restock = StockEvent.objects.filter(
        product=OuterRef("pk"), event=EventKind.RESTOCK
    ).order_by("-seq")
    fired = (
        BackInStockAlert.objects.filter(
            product=OuterRef("pk"), fired_seq=OuterRef("last_restock_seq")
        )
        .order_by()
        .values("product")
        .annotate(count=Count("pk"))
        .values("count")
    )
    armed = (
        BackInStockAlert.objects.filter(product=OuterRef("pk"), status=AlertStatus.ARMED)
        .order_by()
        .values("product")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        armed_alerts=Coalesce(Subquery(armed), 0),
        last_restock_seq=Subquery(last_restock.values("seq")[:1]),
        last_restock_at=Subquery(last_restock.values("at")[:1]),
    ).annotate(fired_on_last_restock=Coalesce(Subquery(fired), 0))


def alerts_fired_since(*, after: datetime) -> list[FiredAlert]:
    """The alerts fired at or after ``after``, as their restocks announced them.

    For a server that shares no channel layer with the process that restocked.
    """
    rows = list(
        BackInStockAlert.objects.filter(notified_at__gte=after, fired_seq__isnull=False)
        .values_list("user_id", "product__sku", "product__name", "fired_seq", "notified_at")
        .order_by("notified_at", "id")
    )
    if not rows:
        return []
    restocks = {(sku, seq) for _, sku, _, seq, _ in rows}
    matching = Q()
    for sku, seq in restocks:
        matching |= Q(sku=sku, seq=seq)
    stock = {
        (sku, seq): level
        for sku, seq, level in StockEvent.objects.filter(matching).values_list(
            "sku", "seq", "stock"
        )
    }
    return [
        FiredAlert(user_id=user_id, sku=sku, name=name, stock=stock[sku, seq], seq=seq, at=at)
        for user_id, sku, name, seq, at in rows
        if (sku, seq) in stock
    ]
