"""The stock consumer, through the whole ASGI stack with Channels' communicator."""

import asyncio
import json

import pytest
from django.test import override_settings

from tests.realtime.conftest import restock, sell, set_stock

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribe(communicator, skus, **extra):
    await communicator.send_json_to({"type": "subscribe", "skus": skus, **extra})
    return await communicator.receive_json_from()


async def test_welcome_names_protocol_heartbeat_and_anonymous_user(connect):
    _, welcome = await connect()
    assert welcome == {"type": "welcome", "protocol": 1, "user": None, "heartbeat": 20}


async def test_subscribe_returns_snapshot_and_echoes_id(connect, products):
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1"], id=7)
    assert reply["type"] == "subscribed"
    assert reply["id"] == 7
    assert reply["skus"] == ["LAMP-1"]
    [lamp] = reply["snapshot"]
    assert {k: lamp[k] for k in ("sku", "name", "stock", "seq")} == {
        "sku": "LAMP-1",
        "name": "Lamp",
        "stock": 0,
        "seq": 0,
    }
    assert lamp["updated_at"].endswith("Z")
    assert "missed" not in reply


async def test_restock_from_zero_reaches_subscriber_as_restock_frame(connect, products):
    client, _ = await connect()
    await subscribe(client, ["LAMP-1"])
    await restock(sku="LAMP-1", quantity=12)
    frame = await client.receive_json_from(timeout=2)
    assert frame == {
        "type": "stock",
        "sku": "LAMP-1",
        "name": "Lamp",
        "stock": 12,
        "previous": 0,
        "event": "restock",
        "seq": 1,
        "at": frame["at"],
    }
    assert frame["at"].endswith("Z")


async def test_each_event_kind_reaches_subscriber_in_seq_order(connect, products):
    client, _ = await connect()
    await subscribe(client, ["CHAIR-2"])
    await sell(sku="CHAIR-2", quantity=1)
    await sell(sku="CHAIR-2", quantity=2)
    await restock(sku="CHAIR-2", quantity=4)
    await set_stock(sku="CHAIR-2", stock=4)  # unchanged: no event
    await set_stock(sku="CHAIR-2", stock=9)
    frames = [await client.receive_json_from(timeout=2) for _ in range(4)]
    assert [(f["event"], f["seq"], f["previous"], f["stock"]) for f in frames] == [
        ("change", 1, 3, 2),
        ("sold_out", 2, 2, 0),
        ("restock", 3, 0, 4),
        ("change", 4, 4, 9),
    ]
    assert await client.receive_nothing(timeout=0.2)


async def test_product_covered_by_sku_and_star_is_delivered_once(connect, products):
    client, _ = await connect()
    await subscribe(client, ["LAMP-1"])
    star = await subscribe(client, "*")
    assert star["skus"] == "*"
    assert [p["sku"] for p in star["snapshot"]] == ["CHAIR-2", "LAMP-1"]
    await restock(sku="LAMP-1", quantity=1)
    assert (await client.receive_json_from(timeout=2))["seq"] == 1
    assert await client.receive_nothing(timeout=0.3)


async def test_star_subscriber_learns_of_new_products(connect, products):
    from channels.db import database_sync_to_async

    from inventory.services import product_create

    client, _ = await connect()
    await subscribe(client, "*")
    await database_sync_to_async(product_create)(sku="DESK-3", name="Desk", stock=2)
    frame = await client.receive_json_from(timeout=2)
    assert (frame["sku"], frame["event"], frame["seq"], frame["stock"]) == (
        "DESK-3",
        "created",
        0,
        2,
    )


async def test_only_subscribers_of_a_product_receive_it(connect, products):
    lamp_watcher, _ = await connect()
    chair_watcher, _ = await connect()
    await subscribe(lamp_watcher, ["LAMP-1"])
    await subscribe(chair_watcher, ["CHAIR-2"])
    await restock(sku="LAMP-1", quantity=2)
    assert (await lamp_watcher.receive_json_from(timeout=2))["sku"] == "LAMP-1"
    assert await chair_watcher.receive_nothing(timeout=0.3)


async def test_unsubscribe_stops_delivery(connect, products):
    client, _ = await connect()
    await subscribe(client, ["LAMP-1", "CHAIR-2"])
    await client.send_json_to({"type": "unsubscribe", "skus": ["LAMP-1"], "id": "u"})
    assert await client.receive_json_from() == {
        "type": "unsubscribed",
        "id": "u",
        "skus": ["LAMP-1"],
    }
    await restock(sku="LAMP-1", quantity=2)
    await restock(sku="CHAIR-2", quantity=2)
    assert (await client.receive_json_from(timeout=2))["sku"] == "CHAIR-2"
    assert await client.receive_nothing(timeout=0.3)


async def test_unsubscribe_star_stops_everything(connect, products):
    client, _ = await connect()
    await subscribe(client, ["LAMP-1"])
    await subscribe(client, "*")
    await client.send_json_to({"type": "unsubscribe", "skus": "*"})
    assert (await client.receive_json_from())["type"] == "unsubscribed"
    await restock(sku="LAMP-1", quantity=2)
    assert await client.receive_nothing(timeout=0.3)


async def test_ping_gets_pong_with_id(connect):
    client, _ = await connect()
    await client.send_json_to({"type": "ping", "id": "p-1"})
    assert await client.receive_json_from() == {"type": "pong", "id": "p-1"}


async def test_unknown_product_fails_whole_subscribe_and_lists_skus(connect, products):
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1", "NOPE", "GONE"], id=3)
    assert reply["type"] == "error"
    assert (reply["code"], reply["id"], reply["skus"]) == ("unknown_product", 3, ["NOPE", "GONE"])
    await restock(sku="LAMP-1", quantity=1)
    assert await client.receive_nothing(timeout=0.3)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_json"),
        ('{"type": ', "bad_json"),
        ("[1, 2]", "bad_message"),
        ("42", "bad_message"),
        ("{}", "bad_message"),
        ('{"type": 5}', "bad_message"),
        ('{"type": "subscribe"}', "bad_message"),
        ('{"type": "subscribe", "skus": []}', "bad_message"),
        ('{"type": "subscribe", "skus": "LAMP-1"}', "bad_message"),
        ('{"type": "subscribe", "skus": [5]}', "bad_message"),
        ('{"type": "subscribe", "skus": ["-bad"]}', "bad_message"),
        ('{"type": "subscribe", "skus": ["' + "A" * 65 + '"]}', "bad_message"),
        ('{"type": "subscribe", "skus": ["LAMP-1"], "since": {"LAMP-1": -1}}', "bad_message"),
        ('{"type": "subscribe", "skus": ["LAMP-1"], "since": {"LAMP-1": true}}', "bad_message"),
        ('{"type": "subscribe", "skus": ["LAMP-1"], "since": [1]}', "bad_message"),
        ('{"type": "unsubscribe", "skus": []}', "bad_message"),
        ('{"type": "ping", "id": 1.5}', "bad_message"),
        ('{"type": "ping", "id": true}', "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
    ],
)
async def test_bad_input_gets_its_error_and_the_connection_stays_open(
    connect, products, frame, code
):
    client, _ = await connect()
    await client.send_to(text_data=frame)
    reply = await client.receive_json_from()
    assert reply["type"] == "error"
    assert reply["code"] == code
    assert isinstance(reply["message"], str) and reply["message"]
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from() == {"type": "pong"}


async def test_error_echoes_id_of_message_it_answers(connect, products):
    client, _ = await connect()
    await client.send_json_to({"type": "dance", "id": "d"})
    assert (await client.receive_json_from())["id"] == "d"
    await client.send_json_to({"type": "subscribe", "skus": [], "id": 9})
    reply = await client.receive_json_from()
    assert (reply["code"], reply["id"]) == ("bad_message", 9)


async def test_binary_frame_is_refused_as_bad_json(connect):
    client, _ = await connect()
    await client.send_to(bytes_data=b"\x00\x01")
    assert (await client.receive_json_from())["code"] == "bad_json"


async def test_unknown_fields_are_ignored(connect, products):
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1"], colour="blue")
    assert reply["type"] == "subscribed"


@override_settings(STOCKWATCH_MAX_SUBSCRIPTIONS=2)
async def test_subscriptions_over_the_limit_are_refused_in_total(connect, products):
    from channels.db import database_sync_to_async

    from inventory.services import product_create

    await database_sync_to_async(product_create)(sku="DESK-3", name="Desk")
    client, _ = await connect()
    assert (await subscribe(client, ["LAMP-1"]))["type"] == "subscribed"
    assert (await subscribe(client, ["LAMP-1", "CHAIR-2"]))["type"] == "subscribed"
    reply = await subscribe(client, ["DESK-3"], id=1)
    assert (reply["code"], reply["id"]) == ("too_many_subscriptions", 1)
    assert (await subscribe(client, "*"))["code"] == "too_many_subscriptions"
    # An unknown sku is reported before the limit.
    assert (await subscribe(client, ["NOPE"]))["code"] == "unknown_product"


@override_settings(
    STOCKWATCH_MESSAGE_RATE=1, STOCKWATCH_MESSAGE_BURST=3, STOCKWATCH_RATE_LIMIT_GRACE=0.5
)
async def test_flooding_client_is_rate_limited_then_closed_with_4008(connect):
    client, _ = await connect()
    for _ in range(3):
        await client.send_json_to({"type": "ping"})
        assert await client.receive_json_from() == {"type": "pong"}
    await client.send_json_to({"type": "ping"})
    assert (await client.receive_json_from())["code"] == "rate_limited"
    await asyncio.sleep(0.6)
    await client.send_json_to({"type": "ping"})
    # The bucket refilled a little, so the first may pass; keep sending fast.
    closed = None
    for _ in range(20):
        await client.send_json_to({"type": "ping"})
        output = await client.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            closed = output
            break
        await asyncio.sleep(0.1)
    assert closed == {"type": "websocket.close", "code": 4008}


async def test_message_over_64_kib_closes_with_4009(connect):
    client, _ = await connect()
    await client.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 65_536}))
    assert await client.receive_output(timeout=1) == {"type": "websocket.close", "code": 4009}


async def test_message_just_under_the_limit_is_answered(connect):
    client, _ = await connect()
    frame = json.dumps({"type": "ping", "pad": ""})
    frame = json.dumps({"type": "ping", "pad": "x" * (65_536 - len(frame))})
    assert len(frame.encode()) == 65_536
    await client.send_to(text_data=frame)
    assert await client.receive_json_from() == {"type": "pong"}


async def test_multibyte_message_over_the_limit_in_bytes_closes(connect):
    client, _ = await connect()
    await client.send_to(
        text_data=json.dumps({"type": "ping", "pad": "é" * 40_000}, ensure_ascii=False)
    )
    assert await client.receive_output(timeout=1) == {"type": "websocket.close", "code": 4009}


async def test_since_recovers_missed_frames_oldest_first(connect, products):
    await restock(sku="LAMP-1", quantity=1)
    await restock(sku="LAMP-1", quantity=2)
    await sell(sku="LAMP-1", quantity=3)
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1"], since={"LAMP-1": 1})
    assert reply["recovered"] is True
    assert [(f["type"], f["seq"], f["event"]) for f in reply["missed"]] == [
        ("stock", 2, "change"),
        ("stock", 3, "sold_out"),
    ]
    assert reply["snapshot"][0]["seq"] == 3


async def test_since_at_current_seq_recovers_nothing_missed(connect, products):
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1"], since={"LAMP-1": 0})
    assert (reply["recovered"], reply["missed"]) == (True, [])


async def test_since_from_the_future_is_not_recovered(connect, products):
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1"], since={"LAMP-1": 99})
    assert (reply["recovered"], reply["missed"]) == (False, [])
    assert reply["snapshot"][0]["seq"] == 0


async def test_since_beyond_retention_is_not_recovered(connect, products):
    from datetime import timedelta

    from channels.db import database_sync_to_async

    from inventory.models import StockEvent

    await restock(sku="LAMP-1", quantity=1)
    await restock(sku="LAMP-1", quantity=1)
    old = StockEvent.objects.filter(sku="LAMP-1", seq=1)
    await database_sync_to_async(lambda: old.update(at=old.get().at - timedelta(hours=25)))()
    client, _ = await connect()
    reply = await subscribe(client, ["LAMP-1"], since={"LAMP-1": 0})
    assert (reply["recovered"], reply["missed"]) == (False, [])
    assert reply["snapshot"][0]["stock"] == 2


async def test_rolled_back_change_notifies_no_one(connect, products):
    from channels.db import database_sync_to_async
    from django.db import transaction

    from inventory.services import product_restock

    client, _ = await connect()
    await subscribe(client, ["LAMP-1"])

    def restock_then_fail():
        with transaction.atomic():
            product_restock(sku="LAMP-1", quantity=5)
            raise RuntimeError("payment failed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(restock_then_fail)()
    assert await client.receive_nothing(timeout=0.3)
    await restock(sku="LAMP-1", quantity=1)
    frame = await client.receive_json_from(timeout=2)
    assert (frame["seq"], frame["stock"]) == (1, 1)


async def test_snapshot_says_how_many_connections_watch_each_product(connect, products):
    lamp_watcher, _ = await connect()
    everything_watcher, _ = await connect()
    newcomer, _ = await connect()
    await subscribe(lamp_watcher, ["LAMP-1"])
    await subscribe(everything_watcher, "*")
    reply = await subscribe(newcomer, ["LAMP-1", "CHAIR-2"])
    watching = {product["sku"]: product["watching"] for product in reply["snapshot"]}
    assert watching == {"LAMP-1": 3, "CHAIR-2": 2}
    await lamp_watcher.disconnect()
    reply = await subscribe(newcomer, ["LAMP-1"])
    assert reply["snapshot"][0]["watching"] == 2
