"""Hostile clients against a real daphne: floods from one address, silent and half-open sockets."""

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from realtime.middleware import CLOSE_TOO_MANY_CONNECTIONS
from tests.support.rawsocket import RawWebSocket, close_codes
from tests.support.server import Server

pytestmark = pytest.mark.e2e


def gauge(server: Server, name: str) -> float:
    """A metric's value as the server's ``/metrics`` reports it."""
    text = httpx.get(server.base_url + "/metrics", timeout=10).text
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} is not in /metrics"
    return float(match[1])


def wait_for_gauge(server: Server, name: str, value: float, *, timeout: float = 10) -> float:
    deadline = time.monotonic() + timeout
    while (current := gauge(server, name)) != value and time.monotonic() < deadline:
        time.sleep(0.1)
    return current


def time_to_close(sock: socket.socket, *, timeout: float) -> float | None:
    """Seconds until the server ends ``sock`` (reading whatever it sends), or None."""
    started = time.monotonic()
    while (remaining := started + timeout - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return time.monotonic() - started
        except TimeoutError:
            return None
        except ConnectionResetError:
            return time.monotonic() - started
    return None


def test_connections_past_the_per_address_limit_are_closed_with_4029_at_once(server_factory):
    server = server_factory.server(env={"STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS": "5"})
    held = [RawWebSocket.open("127.0.0.1", server.port) for _ in range(5)]
    try:
        refused = [RawWebSocket.open("127.0.0.1", server.port) for _ in range(3)]
        for socket_ in refused:
            started = time.monotonic()
            data, ended = socket_.drain(timeout=5)
            assert close_codes(data) == [CLOSE_TOO_MANY_CONNECTIONS]
            assert time.monotonic() - started < 2
            socket_.close()

        held.pop().close()
        assert wait_for_gauge(server, "stockwatch_connections_open", 4) == 4
        with RawWebSocket.open("127.0.0.1", server.port) as again:
            data, _ = again.drain(timeout=1)
            assert b'"welcome"' in data
            assert close_codes(data) == []
    finally:
        for socket_ in held:
            socket_.close()
    assert wait_for_gauge(server, "stockwatch_connections_open", 0) == 0


def test_a_client_that_sends_nothing_after_the_handshake_is_dropped_by_the_heartbeat(
    server_factory,
):
    server = server_factory.server(heartbeat=1, ping_timeout=1)
    clients = [RawWebSocket.open("127.0.0.1", server.port) for _ in range(20)]
    assert wait_for_gauge(server, "stockwatch_connections_open", 20) == 20

    # The raw client answers no ping: the server pings after 1 s and gives up 1 s later.
    with ThreadPoolExecutor(len(clients)) as pool:
        closed_after = list(pool.map(lambda c: time_to_close(c.sock, timeout=15), clients))

    for client in clients:
        client.close()
    assert None not in closed_after, "every silent client is closed"
    assert max(closed_after) < 8
    assert wait_for_gauge(server, "stockwatch_connections_open", 0) == 0


@pytest.mark.soak
def test_a_tcp_connection_that_never_finishes_its_request_is_closed_by_the_idle_timeout(
    server_factory,
):
    server = server_factory.server()
    silent = socket.create_connection(("127.0.0.1", server.port))
    half = socket.create_connection(("127.0.0.1", server.port))
    half.sendall(b"GET /ws/stock/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
    try:
        # Twisted's HTTP idle timeout (60 s, not a daphne option) ends both.
        with ThreadPoolExecutor(2) as pool:
            closed_after = list(pool.map(lambda s: time_to_close(s, timeout=90), [silent, half]))
    finally:
        silent.close()
        half.close()

    assert None not in closed_after
    assert max(closed_after) < 75
    assert gauge(server, "stockwatch_connections_open") == 0
