"""Helpers for the WebSocket tests (the fixtures are in tests.support.communicators)."""

from channels.db import database_sync_to_async

from inventory import services

restock = database_sync_to_async(services.product_restock)
sell = database_sync_to_async(services.product_sell)
set_stock = database_sync_to_async(services.product_set_stock)
