"""Adds presence to the product admin: how many connections watch each product now."""

from django.contrib import admin

from inventory.models import Product
from realtime.presence import watching

_Base = type(admin.site._registry[Product])


class WatchedProductAdmin(_Base):
    """The product admin as registered, plus a "watching now" column."""

    list_display = [*_Base.list_display, "watching_now"]

    @admin.display(description="watching now")
    def watching_now(self, product: Product) -> int:
        # Counts are read once per couple of seconds (see realtime.presence), not per row.
        return watching(skus=[product.sku])[product.sku]


admin.site.unregister(Product)
admin.site.register(Product, WatchedProductAdmin)
