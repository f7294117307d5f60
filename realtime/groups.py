"""The only place that names channel-layer groups."""

ALL_PRODUCTS = "stock.all"


def product_group(sku: str) -> str:
    """The group that hears every change of one product."""
    return f"stock.product.{sku}"


#: Every process's hub is in this group: fired alerts name the users to tell.
ALERTS = "alerts.fired"
