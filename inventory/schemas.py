"""Request bodies of the JSON API, validated strictly: JSON ``true`` or ``1.0`` is no integer."""

from typing import Annotated

from ninja import Schema
from pydantic import Field, StrictInt, StrictStr, StringConstraints

from inventory.errors import ApiError
from inventory.models import SKU_PATTERN, SKU_RULE, sku_is_valid
from inventory.services import MAX_STOCK

Sku = Annotated[StrictStr, StringConstraints(pattern=SKU_PATTERN)]
Name = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Stock = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]
Quantity = Annotated[StrictInt, Field(ge=1, le=MAX_STOCK)]


def path_sku(sku: str) -> str:
    """A sku taken from the URL, or 400 ``invalid``."""
    if not sku_is_valid(sku):
        raise ApiError(400, SKU_RULE)
    return sku


class ProductIn(Schema):
    """``POST /api/products/``."""

    sku: Sku
    name: Name
    stock: Stock = 0


class QuantityIn(Schema):
    """``POST /api/products/SKU/restock`` and ``.../sell``."""

    quantity: Quantity


class StockIn(Schema):
    """``PUT /api/products/SKU/stock``."""

    stock: Stock
