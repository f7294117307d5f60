"""Products, the stock event log and API tokens."""

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SKU_RULE = "a sku is 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit"
# Python's ``$`` also matches before a final newline, so Python checks use ``\Z``.
_SKU = re.compile(SKU_PATTERN.removesuffix("$") + r"\Z")
sku_validator = RegexValidator(_SKU, SKU_RULE)


def sku_is_valid(value: object) -> bool:
    """Whether ``value`` is a well-formed sku."""
    return isinstance(value, str) and _SKU.match(value) is not None


class Product(models.Model):
    """The subject that observers watch: one sellable item and its stock."""

    #: The public identifier; never changes once created.
    sku = models.CharField(max_length=64, unique=True, validators=[sku_validator])
    name = models.CharField(max_length=200)
    stock = models.IntegerField(default=0)
    #: Grows by exactly 1 with every committed stock change; 0 for a new product.
    seq = models.BigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_gte_0"),
            models.CheckConstraint(condition=models.Q(seq__gte=0), name="product_seq_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ({self.name})"


class Source(models.TextChoices):
    API = "api", "API"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Command"


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    RESTOCK = "restock", "Restock"
    SOLD_OUT = "sold_out", "Sold out"
    CHANGE = "change", "Change"


class StockEvent(models.Model):
    """One committed stock change: the log that ``since`` recovery and history read."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="events")
    #: Copied from the product so that recovery reads one table.
    sku = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    previous = models.IntegerField()
    stock = models.IntegerField()
    event = models.CharField(max_length=16, choices=EventKind.choices)
    at = models.DateTimeField()
    #: Who made the change; empty for changes made by commands without a user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)

    class Meta:
        ordering = ["sku", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "seq"], name="stockevent_unique_sku_seq"),
        ]
        indexes = [models.Index(fields=["at"], name="stockevent_at")]

    def __str__(self) -> str:
        return f"{self.sku}#{self.seq} {self.event} {self.previous}->{self.stock}"


class ApiToken(models.Model):
    """A bearer credential for programs; only a hash of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    #: SHA-256 of the token, hex; the token itself is shown once and never stored.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The token's first characters, to tell tokens apart in the admin.
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
