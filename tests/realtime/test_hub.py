"""The hub's ordering: gaps are filled from the log, duplicates and stale frames dropped."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from inventory.models import StockEvent
from inventory.selectors import stock_change_from_event
from realtime.hub import frame_from_change
from tests.realtime.conftest import restock

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribe(communicator, skus):
    await communicator.send_json_to({"type": "subscribe", "skus": skus})
    return await communicator.receive_json_from()


def logged_frame(sku, seq):
    return frame_from_change(
        stock_change_from_event(StockEvent.objects.select_related("product").get(sku=sku, seq=seq))
    )


@pytest.fixture
def no_log_tail(settings):
    settings.STOCKWATCH_LOG_TAIL_INTERVAL = 0


async def test_frame_after_a_gap_is_preceded_by_the_missing_ones_from_the_log(
    no_log_tail, connect, products, hub
):
    client, _ = await connect()
    await subscribe(client, ["LAMP-1"])
    hub_frames = []
    original = hub.receive_frame
    # Changes made while the layer loses their messages: only the log has them.
    hub.receive_frame = hub_frames.append
    for _ in range(3):
        await restock(sku="LAMP-1", quantity=1)
    await asyncio.sleep(0.1)
    hub.receive_frame = original
    hub.receive_frame(await database_sync_to_async(logged_frame)("LAMP-1", 3))
    seqs = [(await client.receive_json_from(timeout=2))["seq"] for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert await client.receive_nothing(timeout=0.3)


async def test_duplicate_and_out_of_order_frames_are_delivered_once_in_order(
    no_log_tail, connect, products, hub
):
    client, _ = await connect()
    await subscribe(client, ["LAMP-1"])
    original = hub.receive_frame
    hub.receive_frame = lambda frame: None
    for _ in range(3):
        await restock(sku="LAMP-1", quantity=1)
    await asyncio.sleep(0.1)
    hub.receive_frame = original
    frames = [await database_sync_to_async(logged_frame)("LAMP-1", seq) for seq in (2, 1, 2, 3, 1)]
    for frame in frames:
        hub.receive_frame(frame)
    seqs = [(await client.receive_json_from(timeout=2))["seq"] for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert await client.receive_nothing(timeout=0.3)


async def test_subscribe_while_a_writer_hammers_sees_no_gap_and_no_overlap(connect, products):
    writes = 60

    async def writer():
        for _ in range(writes):
            await restock(sku="LAMP-1", quantity=1)

    clients = [(await connect())[0] for _ in range(5)]
    task = asyncio.ensure_future(writer())
    replies = []
    for client in clients:
        await asyncio.sleep(0.01)
        replies.append(await subscribe(client, ["LAMP-1"] if len(replies) % 2 else "*"))
    await task
    for client, reply in zip(clients, replies, strict=True):
        snapshot_seq = next(p["seq"] for p in reply["snapshot"] if p["sku"] == "LAMP-1")
        seqs = []
        while len(seqs) < writes - snapshot_seq:
            frame = await client.receive_json_from(timeout=2)
            seqs.append(frame["seq"])
        assert seqs == list(range(snapshot_seq + 1, writes + 1))
        assert await client.receive_nothing(timeout=0.1)


async def test_stock_frames_reach_many_sockets_exactly_once(connect, products, hub):
    clients = [(await connect())[0] for _ in range(50)]
    for index, client in enumerate(clients):
        await subscribe(client, "*" if index % 2 else ["LAMP-1"])
    for _ in range(5):
        await restock(sku="LAMP-1", quantity=1)
    for client in clients:
        assert [(await client.receive_json_from(timeout=2))["seq"] for _ in range(5)] == [
            1,
            2,
            3,
            4,
            5,
        ]
        assert await client.receive_nothing(timeout=0.05)


async def test_changes_from_another_process_arrive_through_the_log(
    settings, connect, products, hub
):
    settings.STOCKWATCH_LOG_TAIL_INTERVAL = 0.5  # The embedded default's.
    client, _ = await connect()
    await subscribe(client, ["CHAIR-2"])
    # As the restock command does in its own process: write, and nobody on this layer hears.
    from django.db import transaction

    from inventory import services

    def restock_unannounced():
        with transaction.atomic():
            services.product_restock(sku="CHAIR-2", quantity=4)
            transaction.get_connection().run_on_commit = []

    await database_sync_to_async(restock_unannounced)()
    frame = await client.receive_json_from(timeout=3)
    assert (frame["seq"], frame["stock"]) == (1, 7)


async def test_hub_leaves_groups_nobody_here_watches_and_rejoins_on_demand(connect, products, hub):
    from realtime import groups

    first, _ = await connect()
    await subscribe(first, ["LAMP-1"])
    assert groups.product_group("LAMP-1") in hub._joins
    await first.disconnect()
    await hub._leave_unused_groups()
    assert groups.product_group("LAMP-1") not in hub._joins
    assert "LAMP-1" not in hub.tracks
    await restock(sku="LAMP-1", quantity=1)  # Nobody here hears it, and nothing breaks.

    second, _ = await connect()
    reply = await subscribe(second, ["LAMP-1"])
    assert reply["snapshot"][0]["seq"] == 1
    await restock(sku="LAMP-1", quantity=1)
    assert (await second.receive_json_from(timeout=2))["seq"] == 2
