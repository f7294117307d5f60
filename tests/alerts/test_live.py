"""Live delivery: a fired alert reaches every open connection of its user, and no one else."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from alerts.services import alert_arm
from inventory import services
from inventory.serializers import iso
from inventory.tokens import token_issue

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async(services.product_create)
restock = database_sync_to_async(services.product_restock)
sell = database_sync_to_async(services.product_sell)
arm = database_sync_to_async(alert_arm)


@database_sync_to_async
def shopper(username: str, *, active: bool = True):
    return get_user_model().objects.create_user(
        username, email=f"{username}@example.com", is_active=active
    )


@database_sync_to_async
def session_cookie(user) -> tuple[bytes, bytes]:
    """The Cookie header of a browser signed in as ``user``."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return b"cookie", f"{name}={client.cookies[name].value}".encode()


@database_sync_to_async
def bearer(user) -> tuple[bytes, bytes]:
    return b"authorization", f"Bearer {token_issue(user=user)}".encode()


async def subscribe(communicator, skus) -> None:
    await communicator.send_json_to({"type": "subscribe", "skus": skus})
    reply = await communicator.receive_json_from()
    assert reply["type"] == "subscribed"


def alert_frame(product) -> dict:
    return {
        "type": "alert",
        "sku": product.sku,
        "name": product.name,
        "stock": product.stock,
        "message": f"{product.name} is back in stock",
        "at": iso(product.updated_at),
    }


async def frames(communicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=2) for _ in range(count)]


async def test_a_restock_sends_one_alert_to_each_of_the_users_connections_and_no_one_else(
    connect,
):
    await create(sku="LAMP-1", name="Desk lamp", stock=0)
    await create(sku="CHAIR-2", name="Chair", stock=3)
    alice, bob = await shopper("alice"), await shopper("bob")
    await arm(user=alice, sku="LAMP-1")
    await arm(user=bob, sku="CHAIR-2")
    tab, welcome = await connect(headers=[await session_cookie(alice)])
    program, program_welcome = await connect(headers=[await bearer(alice)])
    bobs, _ = await connect(headers=[await bearer(bob)])
    anonymous, _ = await connect()
    assert welcome["user"] == program_welcome["user"] == "alice"
    await subscribe(tab, ["LAMP-1"])
    await subscribe(program, ["CHAIR-2"])
    for other in (bobs, anonymous):
        await subscribe(other, ["LAMP-1"])

    product = await restock(sku="LAMP-1", quantity=12)

    # The subscribed tab also gets the stock frame; the alert may come on either side of it.
    on_tab = await frames(tab, 2)
    assert sorted(frame["type"] for frame in on_tab) == ["alert", "stock"]
    assert [frame for frame in on_tab if frame["type"] == "alert"] == [alert_frame(product)]
    assert await frames(program, 1) == [alert_frame(product)]
    for other in (bobs, anonymous):
        assert [frame["type"] for frame in await frames(other, 1)] == ["stock"]
    for communicator in (tab, program, bobs, anonymous):
        assert await communicator.receive_nothing(timeout=0.3)


async def test_a_later_restock_sends_no_second_alert(connect):
    await create(sku="LAMP-1", name="Desk lamp", stock=0)
    alice = await shopper("alice")
    await arm(user=alice, sku="LAMP-1")
    tab, _ = await connect(headers=[await session_cookie(alice)])
    first = await restock(sku="LAMP-1", quantity=1)
    assert await frames(tab, 1) == [alert_frame(first)]

    await sell(sku="LAMP-1", quantity=1)
    await restock(sku="LAMP-1", quantity=3)

    assert await tab.receive_nothing(timeout=0.5)


async def test_a_deactivated_user_gets_no_alert(connect):
    await create(sku="LAMP-1", name="Desk lamp", stock=0)
    alice = await shopper("alice")
    await arm(user=alice, sku="LAMP-1")
    program, welcome = await connect(headers=[await bearer(alice)])
    assert welcome["user"] == "alice"
    alice.is_active = False
    await database_sync_to_async(alice.save)()

    await restock(sku="LAMP-1", quantity=1)

    assert await program.receive_nothing(timeout=0.5)


async def test_a_change_that_is_not_a_restock_sends_no_alert(connect):
    await create(sku="CHAIR-2", name="Chair", stock=3)
    alice = await shopper("alice")
    await arm(user=alice, sku="CHAIR-2")
    program, _ = await connect(headers=[await bearer(alice)])

    await restock(sku="CHAIR-2", quantity=2)
    await sell(sku="CHAIR-2", quantity=5)

    assert await program.receive_nothing(timeout=0.5)


async def test_an_alert_fired_by_another_process_reaches_the_user_through_the_log(
    connect,
    settings,
):
    from django.db import transaction

    settings.STOCKWATCH_LOG_TAIL_INTERVAL = 0.3  # The embedded default tails the log.
    await create(sku="LAMP-1", name="Desk lamp", stock=0)
    alice = await shopper("alice")
    await arm(user=alice, sku="LAMP-1")
    tab, _ = await connect(headers=[await session_cookie(alice)])

    def restock_elsewhere():
        # As the restock command does in its own process: nobody on this layer hears it.
        with transaction.atomic():
            product = services.product_restock(sku="LAMP-1", quantity=2)
            transaction.get_connection().run_on_commit = []
        return product

    product = await database_sync_to_async(restock_elsewhere)()
    assert await frames(tab, 1) == [alert_frame(product)]
    assert await tab.receive_nothing(timeout=1)
