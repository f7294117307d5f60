"""Clients that stop reading cost the server a bounded amount and hold up no one else."""

import json
import re
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.client import bearer
from tests.support.fixtures import UNTHROTTLED
from tests.support.names import sku as new_sku
from tests.support.rawsocket import RawWebSocket, close_codes
from tests.support.server import Server

pytestmark = pytest.mark.e2e

BACKLOG_BYTES = 256 * 1024


def closed_for(server: Server, reason: str) -> float:
    """The server's count of connections it closed for ``reason``."""
    text = httpx.get(f"{server.base_url}/metrics", timeout=5).text
    found = re.search(
        rf'^stockwatch_connections_closed_total\{{reason="{reason}"\}} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else 0.0


def restock_reaches(server: Server, token: str, sku: str) -> None:
    """A restock still reaches a reading subscriber of ``server`` at once."""
    with connect(server.ws_url, open_timeout=5) as reader:
        reader.recv(timeout=5)  # welcome
        reader.send(json.dumps({"type": "subscribe", "skus": [sku]}))
        assert json.loads(reader.recv(timeout=5))["type"] == "subscribed"
        response = httpx.post(
            f"{server.base_url}/api/products/{sku}/restock",
            json={"quantity": 1},
            headers=bearer(token),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        frame = json.loads(reader.recv(timeout=2))
    assert (frame["type"], frame["sku"], frame["seq"]) == ("stock", sku, response.json()["seq"])


def test_client_that_stops_reading_is_closed_with_4013_once_its_backlog_passes_the_bound(
    server_factory,
):
    server = server_factory.server(
        store_env={
            **UNTHROTTLED,
            "STOCKWATCH_MAX_BACKLOG_BYTES": str(BACKLOG_BYTES),
            # The stuck client makes the server write by asking; let it ask fast.
            "STOCKWATCH_MESSAGE_RATE": "1000",
            "STOCKWATCH_MESSAGE_BURST": "1000",
        }
    )
    token = server.staff_token()
    sku = new_sku("SLOW")
    created = httpx.post(
        f"{server.base_url}/api/products/",
        json={"sku": sku, "name": "Slow lamp"},
        headers=bearer(token),
        timeout=10,
    )
    assert created.status_code == 201, created.text

    # Each of these is answered with an ``unknown_product`` error listing ~60 KB of skus:
    # the replies pile up unread far faster than any stock feed would.
    unknown = [f"NO-{n:04d}-" + "x" * 54 for n in range(900)]
    deadline = time.monotonic() + 20
    sent = 0
    with RawWebSocket.open("127.0.0.1", server.port, receive_buffer=4096) as stuck:
        while closed_for(server, "backlog") < 1:
            assert time.monotonic() < deadline, f"not closed after {sent} unread replies"
            for _ in range(10):
                stuck.send_json({"type": "subscribe", "skus": unknown})
            sent += 10
        data, ended = stuck.drain(timeout=10)

    assert sent * 60_000 < 40 * BACKLOG_BYTES  # closed long before the replies were all held
    assert ended in {"eof", "reset"}
    assert set(close_codes(data)) <= {4013}
    restock_reaches(server, token, sku)


def test_client_that_stops_reading_is_dropped_by_the_heartbeat(server_factory):
    server = server_factory.server(heartbeat=1, ping_timeout=2)
    started = time.monotonic()
    with RawWebSocket.open("127.0.0.1", server.port, receive_buffer=4096) as stuck:
        # Read nothing: the welcome and then daphne's pings stay unanswered.
        time.sleep(4)
        _, ended = stuck.drain(timeout=6)

    assert ended in {"eof", "reset"}
    assert time.monotonic() - started < 10
