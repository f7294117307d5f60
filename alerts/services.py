"""Shoppers' writes of their alerts: arm one for a product, cancel it."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import AlertStatus, BackInStockAlert
from inventory.models import Product

logger = logging.getLogger(__name__)


def alert_arm(*, user: AbstractBaseUser, sku: str) -> tuple[BackInStockAlert, bool]:
    """Arm ``user``'s alert for the product; returns it and whether this call armed it.

    An alert that is armed already is returned as it is. After a notification (or a
    cancellation) a new row is armed, so the old one stays as history. Raises
    ``Product.DoesNotExist`` for an unknown sku.
    """
    product = Product.objects.get(sku=sku)
    armed = BackInStockAlert.objects.filter(user=user, product=product, status=AlertStatus.ARMED)
    existing = armed.first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            alert = BackInStockAlert.objects.create(
                user=user, product=product, status=AlertStatus.ARMED, created_at=timezone.now()
            )
    except IntegrityError:
        # A concurrent request armed it between the read and the insert; the database's
        # constraint kept it to one.
        existing = armed.first()
        if existing is None:
            raise
        return existing, False
    logger.info("alert armed: %s for user %s", sku, user.pk)
    return alert, True


def alert_cancel(*, user: AbstractBaseUser, sku: str) -> bool:
    """Cancel ``user``'s armed alert for the product; True when there was one.

    Raises ``Product.DoesNotExist`` for an unknown sku.
    """
    product = Product.objects.get(sku=sku)
    cancelled = BackInStockAlert.objects.filter(
        user=user, product=product, status=AlertStatus.ARMED
    ).update(status=AlertStatus.CANCELLED)
    return bool(cancelled)
