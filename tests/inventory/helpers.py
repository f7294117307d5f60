"""Small helpers the store's tests share."""

import json

from django.test import Client

from inventory.models import Product, StockEvent


def send_json(client: Client, method: str, path: str, data: object, **extra):
    """Send ``data`` as a JSON body."""
    return getattr(client, method)(path, json.dumps(data), content_type="application/json", **extra)


def store_state() -> tuple:
    """Every product's stock and seq, and the number of logged events."""
    products = tuple(Product.objects.order_by("sku").values_list("sku", "name", "stock", "seq"))
    return products, StockEvent.objects.count()


def error_of(response) -> tuple[int, str]:
    """The status and the error code of an error response, checking its envelope."""
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return response.status_code, body["error"]["code"]
