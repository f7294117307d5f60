"""Firing on restock: every armed alert of the product becomes notified and queues its email.

Why it runs inside the stock change's transaction: the alerts are marked and their
emails queued in the same commit as the restock, so a crash after the commit loses
nothing and a rolled-back restock fires nothing; a sweeper looking for armed alerts on
in-stock products would be a second, later path to the same state. The live frames are
not durable anyway, so they are announced after the commit (``alerts_fired``).

Why it cannot fire an alert twice: the stock service holds the product's row lock for
the whole transaction, so two restocks of one product take turns, and the second sees
the alerts the first marked. Each statement re-checks ``status = armed`` on the rows
it writes, so a cancellation racing with the restock either wins or is overwritten by
nothing.

Why it is three statements whatever the number of alerts: one UPDATE marks the armed
alerts of active users with the restock's seq, which names exactly the rows it marked;
one INSERT ... SELECT copies those rows into the outbox (``bulk_create`` would need a
query per ~90 rows on SQLite, whose statements take at most 999 parameters); one
SELECT reads whom to tell live. No RETURNING, so SQLite and PostgreSQL run the same.
"""

import logging
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from alerts.emails import back_in_stock_email
from alerts.metrics import ALERTS_FIRED
from alerts.models import AlertStatus, BackInStockAlert, OutboxEmail, OutboxStatus
from alerts.signals import FiredAlert, alerts_fired
from inventory.metrics import OBSERVER_FAILURES
from inventory.models import Product
from inventory.signals import StockChange

logger = logging.getLogger(__name__)


def alerts_fire(*, change: StockChange) -> list[FiredAlert]:
    """Fire the product's armed alerts for the restock ``change``; call inside its transaction.

    Returns the fired alerts, which are announced once the transaction commits.
    """
    product_id = Product.objects.values_list("pk", flat=True).get(sku=change.sku)
    active_users = get_user_model().objects.filter(is_active=True).values("pk")
    # A subquery, not a join, keeps the status test on the updated table itself, where
    # PostgreSQL re-checks it on rows a concurrent cancellation changed.
    marked = BackInStockAlert.objects.filter(
        product_id=product_id, status=AlertStatus.ARMED, user_id__in=active_users
    ).update(status=AlertStatus.NOTIFIED, notified_at=change.at, fired_seq=change.seq)
    if not marked:
        return []
    _outbox_queue(product_id=product_id, change=change)
    user_ids = BackInStockAlert.objects.filter(
        product_id=product_id, fired_seq=change.seq, status=AlertStatus.NOTIFIED
    ).values_list("user_id", flat=True)
    fired = [
        FiredAlert(
            user_id=user_id,
            sku=change.sku,
            name=change.name,
            stock=change.stock,
            seq=change.seq,
            at=change.at,
        )
        for user_id in user_ids
    ]
    logger.info("restock of %s#%s fired %d alerts", change.sku, change.seq, len(fired))
    transaction.on_commit(partial(alerts_fired_announce, fired=fired))
    return fired


def _outbox_queue(*, product_id: int, change: StockChange) -> None:
    """Queue one email per alert the restock fired whose user has an address."""
    email = back_in_stock_email(sku=change.sku, name=change.name, stock=change.stock)
    user_model = get_user_model()
    quote = connection.ops.quote_name
    outbox_table, alert_table = OutboxEmail._meta.db_table, BackInStockAlert._meta.db_table
    outbox_columns = ", ".join(
        _column(OutboxEmail, name)
        for name in (
            "to",
            "subject",
            "text",
            "html",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "alert",
        )
    )
    user_pk = _column(user_model, user_model._meta.pk.name)
    user_email = _column(user_model, user_model.get_email_field_name())
    alert_id, alert_user, alert_product, alert_seq, alert_status = (
        _column(BackInStockAlert, name) for name in ("id", "user", "product", "fired_seq", "status")
    )
    sql = (
        f"INSERT INTO {quote(outbox_table)} ({outbox_columns}) "
        f"SELECT u.{user_email}, %s, %s, %s, %s, 0, %s, '', %s, a.{alert_id} "
        f"FROM {quote(alert_table)} a INNER JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{user_pk} = a.{alert_user} "
        f"WHERE a.{alert_product} = %s AND a.{alert_seq} = %s AND a.{alert_status} = %s "
        f"AND u.{user_email} IS NOT NULL AND u.{user_email} <> ''"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [email.subject, email.text, email.html, OutboxStatus.PENDING, now, now]
    params += [product_id, change.seq, AlertStatus.NOTIFIED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _column(model: type[models.Model], field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def alerts_fired_announce(*, fired: list[FiredAlert]) -> None:
    """Tell every observer which alerts fired; a failing one never stops the rest."""
    ALERTS_FIRED.inc(len(fired))
    for receiver, result in alerts_fired.send_robust(sender=BackInStockAlert, fired=fired):
        if isinstance(result, Exception):
            name = f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', '')}"
            OBSERVER_FAILURES.labels(observer=name).inc()
            logger.error("alert observer %s failed", name, exc_info=result)
