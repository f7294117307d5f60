"""The JSON API as served: the store's products and the shoppers' alerts on one NinjaAPI."""

from alerts.api import router as alerts_router
from inventory.api import api
from inventory.products_api import router as products_router

api.add_router("/products/", products_router)
api.add_router("/", alerts_router)
