"""The only place that names channel-layer groups."""

ALL_PRODUCTS = "stock.all"


def product_group(sku: str) -> str:
    """The group that hears every change of one product."""
    return f"stock.product.{sku}"


def user_group(user_id: int) -> str:
    """The group of one user's open connections, for personal alerts."""
    return f"user.{user_id}"
