"""Back-in-stock alerts and the outbox of emails they queue."""

from django.conf import settings
from django.db import models

from inventory.models import Product


class AlertStatus(models.TextChoices):
    ARMED = "armed", "Armed"
    NOTIFIED = "notified", "Notified"
    CANCELLED = "cancelled", "Cancelled"


class BackInStockAlert(models.Model):
    """A shopper's standing request to hear when one product is back; it fires once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stock_alerts"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="alerts")
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.ARMED)
    created_at = models.DateTimeField()
    #: The commit time of the restock that fired it.
    notified_at = models.DateTimeField(null=True, blank=True)
    #: The seq of the restock that fired it: names the alerts one restock fired.
    fired_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Notified and cancelled rows are history; only the armed one is unique.
            models.UniqueConstraint(
                fields=["user", "product"],
                condition=models.Q(status="armed"),
                name="alert_one_armed_per_user_product",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status"], name="alert_product_status"),
            models.Index(fields=["product", "fired_seq"], name="alert_product_fired_seq"),
            models.Index(fields=["notified_at"], name="alert_notified_at"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} for {self.user} ({self.status})"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    #: Claimed by a worker until ``next_attempt_at``; due again if the worker died.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxEmail(models.Model):
    """One email waiting to be sent, sent, or given up on; the worker sends each once."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    text = models.TextField()
    html = models.TextField()
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    #: Attempts made so far, counting one in progress.
    attempts = models.PositiveIntegerField(default=0)
    #: Pending: not before this (a retry's backoff). Sending: the end of the worker's lease.
    next_attempt_at = models.DateTimeField()
    #: Why the last attempt failed; empty when none did.
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    alert = models.ForeignKey(
        BackInStockAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbox email"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({self.status})"


class ProductDemand(Product):
    """The products as staff see their demand: alerts armed and fired (admin only)."""

    class Meta:
        proxy = True
        verbose_name = "product demand"
        verbose_name_plural = "product demand"
