"""The product admin shows how many connections watch each product."""

import re

import pytest
from django.contrib.auth import get_user_model

from inventory.services import product_create

pytestmark = pytest.mark.django_db(transaction=True)


async def test_product_list_shows_watchers_of_each_product(connect, hub, async_client):
    from channels.db import database_sync_to_async

    def setup():
        product_create(sku="LAMP-1", name="Lamp")
        product_create(sku="CHAIR-2", name="Chair")
        return get_user_model().objects.create_superuser("boss", "b@example.com", "pw")

    boss = await database_sync_to_async(setup)()
    for skus in (["LAMP-1"], ["LAMP-1"], "*"):
        client, _ = await connect()
        await client.send_json_to({"type": "subscribe", "skus": skus})
        await client.receive_json_from()
    await async_client.aforce_login(boss)
    page = (await async_client.get("/admin/inventory/product/")).content.decode()
    assert "watching now" in page.lower()
    cells = dict(
        re.findall(r'field-sku[^>]*>.*?(LAMP-1|CHAIR-2).*?field-watching_now">(\d+)<', page, re.S)
    )
    assert cells == {"LAMP-1": "3", "CHAIR-2": "1"}
