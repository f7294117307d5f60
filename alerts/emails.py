"""The back-in-stock email: subject, plain text and HTML, with a link back to the product."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


def product_url(*, sku: str) -> str:
    """Where the email sends the shopper: the store's page, showing that product."""
    return f"{settings.STOCKWATCH_PUBLIC_URL.rstrip('/')}/?{urlencode({'sku': sku})}"


def back_in_stock_email(*, sku: str, name: str, stock: int) -> EmailContent:
    """The email telling a shopper that ``name`` is back.

    It names no recipient, so one restock renders it once for every shopper it tells.
    """
    context = {"sku": sku, "name": name, "stock": stock, "url": product_url(sku=sku)}
    return EmailContent(
        subject=f"{name} is back in stock"[:200],
        text=render_to_string("alerts/email/back_in_stock.txt", context),
        html=render_to_string("alerts/email/back_in_stock.html", context),
    )
