"""``manage.py restock SKU QUANTITY``: add stock, exactly like the HTTP call."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.models import Product, Source
from inventory.services import MAX_STOCK, product_restock


class Command(BaseCommand):
    help = "Add QUANTITY to the stock of the product SKU and announce the change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sku")
        parser.add_argument("quantity", help=f"a whole number from 1 to {MAX_STOCK}")

    def handle(self, *args: object, sku: str, quantity: str, **options: object) -> None:
        try:
            amount = int(str(quantity).strip())
        except ValueError:
            raise CommandError(f"QUANTITY must be a whole number, got {quantity!r}") from None
        if not 1 <= amount <= MAX_STOCK:
            raise CommandError(f"QUANTITY must be from 1 to {MAX_STOCK}, got {amount}")
        try:
            product = product_restock(sku=sku, quantity=amount, source=Source.COMMAND)
        except Product.DoesNotExist:
            raise CommandError(f"no product has the sku {sku!r}") from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"{product.sku}: {product.stock} in stock (seq {product.seq})")
