"""``manage.py seed_demo``: a handful of demo products; running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from inventory.models import Product, Source
from inventory.services import ProductExists, product_create

#: (sku, name, stock); a few start sold out so that restocks and alerts can be tried at once.
DEMO_PRODUCTS = [
    ("LAMP-001", "Brass desk lamp", 14),
    ("MUG-002", "Stoneware coffee mug, 350 ml", 48),
    ("KETTLE-003", "Stovetop kettle, 1.5 l", 0),
    ("CHAIR-004", "Oak dining chair", 6),
    ("RUG-005", "Wool rug, 160 x 230 cm", 2),
    ("PLANT-006", "Fiddle-leaf fig in ceramic pot", 0),
    ("BOOK-007", "Field guide to garden birds", 23),
    ("HEAD-008", "Wireless over-ear headphones", 9),
    ("PAN-009", "Cast-iron skillet, 26 cm", 0),
    ("TOWEL-010", "Linen tea towels, set of 3", 31),
    ("CLOCK-011", "Walnut wall clock", 4),
    ("BAG-012", "Waxed canvas tote bag", 17),
]


class Command(BaseCommand):
    help = "Create the demo products that are missing; existing products are left as they are."

    def handle(self, *args: object, **options: object) -> None:
        existing = set(Product.objects.values_list("sku", flat=True))
        created = 0
        with transaction.atomic():
            for sku, name, stock in DEMO_PRODUCTS:
                if sku in existing:
                    continue
                try:
                    product_create(sku=sku, name=name, stock=stock, source=Source.COMMAND)
                except ProductExists:
                    continue  # another run created it meanwhile
                created += 1
        kept = len(DEMO_PRODUCTS) - created
        self.stdout.write(f"Demo products: {created} created, {kept} already there.")
