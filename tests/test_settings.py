"""The settings helpers: which channel layer the environment selects."""

import asyncio
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from config.settings import channel_layers_config
from tests.support.fixtures import REDIS_URL


def test_redis_url_selects_the_core_redis_layer_by_default():
    layer = channel_layers_config("redis://127.0.0.1:6379/0")["default"]

    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"] == ["redis://127.0.0.1:6379/0"]


def test_pubsub_selects_the_redis_pubsub_layer_on_the_same_redis():
    layer = channel_layers_config("redis://127.0.0.1:6379/3", kind="pubsub")["default"]

    assert layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert layer["CONFIG"]["hosts"] == ["redis://127.0.0.1:6379/3"]


def test_without_redis_every_kind_is_the_in_process_layer():
    for kind in ("core", "pubsub"):
        layer = channel_layers_config(None, kind=kind)["default"]

        assert layer["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_an_unknown_channel_layer_kind_is_refused_at_start():
    with pytest.raises(ImproperlyConfigured, match="STOCKWATCH_CHANNEL_LAYER"):
        channel_layers_config("redis://127.0.0.1:6379/0", kind="list")


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["core", "pubsub"])
async def test_each_redis_layer_carries_a_group_message_to_its_member(kind):
    config = channel_layers_config(REDIS_URL, kind=kind)["default"]
    config["CONFIG"]["prefix"] = f"sw-test-settings-{uuid.uuid4().hex}"
    layer = import_string(config["BACKEND"])(**config["CONFIG"])
    group = f"stock.product.S{uuid.uuid4().hex[:8]}"
    channel = await layer.new_channel(prefix="stockwatch.hub.")
    try:
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "stock.event", "seq": 7})
        message = await asyncio.wait_for(layer.receive(channel), 5)

        assert message == {"type": "stock.event", "seq": 7}
    finally:
        await layer.group_discard(group, channel)
        await layer.flush()
