"""The tutorial's consumer: every socket joins its product's group and forwards each message."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from bench.baseline.receivers import product_group
from inventory.models import Product


class StockConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        await self.accept()
        await self.send_json({"type": "welcome", "protocol": 1, "user": None, "heartbeat": 20})

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("type") != "subscribe":
            return
        skus = list(content["skus"])
        for sku in skus:
            await self.channel_layer.group_add(product_group(sku), self.channel_name)
            self.groups_joined.append(product_group(sku))
        snapshot = await self.snapshot(skus)
        await self.send_json({"type": "subscribed", "skus": skus, "snapshot": snapshot})

    @database_sync_to_async
    def snapshot(self, skus: list[str]) -> list[dict]:
        return [
            {
                "sku": product.sku,
                "name": product.name,
                "stock": product.stock,
                "seq": product.seq,
                "updated_at": product.updated_at.isoformat(),
            }
            for product in Product.objects.filter(sku__in=skus)
        ]

    async def stock_update(self, event: dict) -> None:
        await self.send_json(
            {
                "type": "stock",
                "sku": event["sku"],
                "name": event["name"],
                "stock": event["stock"],
                "seq": event["seq"],
                "at": event["at"],
            }
        )
