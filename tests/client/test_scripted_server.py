"""The client against a scripted WebSocket server: duplicates, close codes, refusals, ids.

A real server cannot be made to repeat a frame or to close with 4013 on cue; this one
plays the protocol's frames exactly as each test writes them.
"""

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus

import pytest
from websockets.asyncio.server import ServerConnection, serve

from stockwatch import AuthenticationFailed, ProtocolError, StockClient, StockUpdate, UnknownProduct
from tests.client.conftest import next_events, quiet

Script = Callable[[ServerConnection], Awaitable[None]]

WELCOME = {"type": "welcome", "protocol": 1, "user": None, "heartbeat": 20}


def product(sku: str, seq: int, stock: int = 1) -> dict:
    return {"sku": sku, "name": sku, "stock": stock, "seq": seq, "updated_at": None}


def stock(sku: str, seq: int) -> dict:
    return {
        "type": "stock",
        "sku": sku,
        "name": sku,
        "stock": seq,
        "previous": seq - 1,
        "event": "change",
        "seq": seq,
        "at": "2026-12-04T10:00:00Z",
    }


def subscribed(request: dict, snapshot: list[dict], **extra: object) -> dict:
    """The ``subscribed`` reply to ``request``."""
    return {
        "type": "subscribed",
        "id": request["id"],
        "skus": request["skus"],
        "snapshot": snapshot,
        **extra,
    }


async def send(connection: ServerConnection, *frames: dict) -> None:
    for frame in frames:
        await connection.send(json.dumps(frame))


async def receive(connection: ServerConnection) -> dict:
    return json.loads(await connection.recv())


class Scripted:
    """Plays one script per connection, in order; a connection beyond them is refused."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.url = ""

    def refuse(self, connection, request):
        if not self.scripts:
            return connection.respond(HTTPStatus.FORBIDDEN, "refused\n")
        return None

    async def play(self, connection: ServerConnection) -> None:
        await send(connection, WELCOME)
        await self.scripts.pop(0)(connection)


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Scripted]]:
    servers = []

    def start(*scripts: Script) -> Scripted:
        server = Scripted(*scripts)
        servers.append(server)
        return server

    yield start
    assert all(not server.scripts for server in servers), "a script was never played"


@contextlib.asynccontextmanager
async def running(server: Scripted) -> AsyncIterator[str]:
    async with serve(server.play, "127.0.0.1", 0, process_request=server.refuse) as listening:
        port = listening.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws/stock/"


def fast(url: str) -> StockClient:
    return StockClient(url, reconnect_base=0.05, reconnect_cap=0.2, reply_timeout=5)


@pytest.mark.parametrize("code", [4008, 4009, 4013, 1011])
async def test_after_a_close_the_client_resumes_from_the_last_seq_and_drops_repeats(
    scripted, code: int
):
    asked: list[dict] = []

    async def first(connection: ServerConnection) -> None:
        request = await receive(connection)
        asked.append(request)
        await send(
            connection,
            {
                "type": "subscribed",
                "id": request["id"],
                "skus": ["A"],
                "snapshot": [product("A", 0)],
            },
            stock("A", 1),
            stock("A", 2),
            stock("A", 2),
            stock("A", 1),
        )
        await connection.close(code)

    async def second(connection: ServerConnection) -> None:
        request = await receive(connection)
        asked.append(request)
        await send(
            connection,
            subscribed(
                request,
                [product("A", 3)],
                missed=[stock("A", 2), stock("A", 3)],
                recovered=True,
            ),
            stock("A", 3),
            stock("A", 4),
        )
        await connection.wait_closed()

    server = scripted(first, second)
    async with running(server) as url:
        async with fast(url) as client:
            await client.subscribe(["A"])
            events = await next_events(client, 4)
            assert await quiet(client, 0.3) == []
            assert client.reconnects == 1

    assert [e.seq for e in events if isinstance(e, StockUpdate)] == [1, 2, 3, 4]
    assert "since" not in asked[0]
    assert (asked[1]["skus"], asked[1]["since"]) == (["A"], {"A": 2})


async def test_a_reconnect_refused_at_the_handshake_ends_the_events_with_authentication_failed(
    scripted,
):
    async def only(connection: ServerConnection) -> None:
        request = await receive(connection)
        await send(
            connection,
            {
                "type": "subscribed",
                "id": request["id"],
                "skus": ["A"],
                "snapshot": [product("A", 0)],
            },
            stock("A", 1),
        )
        await connection.close(4013)

    async with running(scripted(only)) as url:
        async with fast(url) as client:
            await client.subscribe(["A"])
            seen = []
            with pytest.raises(AuthenticationFailed, match="HTTP 403"):
                async for event in client.events():
                    seen.append(event)
    assert [e.seq for e in seen] == [1]


async def test_a_resubscribe_the_server_refuses_ends_the_events_with_unknown_product(scripted):
    async def first(connection: ServerConnection) -> None:
        request = await receive(connection)
        await send(
            connection,
            {
                "type": "subscribed",
                "id": request["id"],
                "skus": ["A"],
                "snapshot": [product("A", 0)],
            },
        )
        await connection.close(1001)

    async def second(connection: ServerConnection) -> None:
        request = await receive(connection)
        await send(
            connection,
            {
                "type": "error",
                "id": request["id"],
                "code": "unknown_product",
                "message": "No product with sku A.",
                "skus": ["A"],
            },
        )
        await connection.wait_closed()

    async with running(scripted(first, second)) as url:
        async with fast(url) as client:
            await client.subscribe(["A"])
            with pytest.raises(UnknownProduct) as refused:
                await next_events(client, 1)
    assert refused.value.skus == ["A"]


async def test_a_reply_is_matched_to_its_request_by_id(scripted):
    async def only(connection: ServerConnection) -> None:
        request = await receive(connection)
        await send(
            connection,
            # An error that answers no request of this client, then the real answer.
            {"type": "error", "code": "rate_limited", "message": "Too many messages."},
            {"type": "error", "id": "someone-else", "code": "bad_json", "message": "no"},
            {
                "type": "error",
                "id": request["id"],
                "code": "too_many_subscriptions",
                "message": "At most 1000 skus per connection.",
            },
        )
        await connection.wait_closed()

    async with running(scripted(only)) as url:
        async with fast(url) as client:
            with pytest.raises(ProtocolError) as refused:
                await client.subscribe(["A"])
    assert refused.value.code == "too_many_subscriptions"
    assert not isinstance(refused.value, UnknownProduct)


async def test_a_subscribe_too_large_for_one_message_is_split_below_the_servers_limit(scripted):
    skus = [f"SKU-{n:05d}-" + "x" * 50 for n in range(3000)]
    sizes: list[int] = []
    asked: list[str] = []

    async def only(connection: ServerConnection) -> None:
        while len(asked) < len(skus):
            text = await connection.recv()
            sizes.append(len(text.encode()))
            request = json.loads(text)
            asked.extend(request["skus"])
            await send(connection, subscribed(request, [product(s, 0) for s in request["skus"]]))
        await connection.wait_closed()

    async with running(scripted(only)) as url, fast(url) as client:
        snapshot = await client.subscribe(skus)

    assert asked == skus
    assert [p.sku for p in snapshot] == skus
    assert len(sizes) > 1
    assert max(sizes) < 64 * 1024
