"""A bare WebSocket client over a plain TCP socket, for clients that stop reading."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time


class RawWebSocket:
    """Does the opening handshake by hand and then reads only when told to.

    A small receive buffer (``receive_buffer``) makes the kernel hold little for it, so
    what the server cannot send piles up on the server's side, as with a stuck client.
    """

    def __init__(self, sock: socket.socket, leftover: bytes) -> None:
        self.sock = sock
        self.leftover = leftover

    @classmethod
    def open(
        cls, host: str, port: int, path: str = "/ws/stock/", *, receive_buffer: int | None = None
    ) -> RawWebSocket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            return cls._handshake(sock, host, port, path, receive_buffer)
        except BaseException:
            sock.close()
            raise

    @classmethod
    def _handshake(
        cls, sock: socket.socket, host: str, port: int, path: str, receive_buffer: int | None
    ) -> RawWebSocket:
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.settimeout(10)
        sock.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"handshake ended early: {received!r}")
            received += chunk
        head, leftover = received.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"handshake refused: {head!r}")
        return cls(sock, leftover)

    def send_json(self, message: dict) -> None:
        """Send one masked text frame, as a client must."""
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x81, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def drain(self, *, timeout: float) -> tuple[bytes, str]:
        """Read until the server ends the connection: (bytes, "eof" | "reset" | "timeout")."""
        data = bytearray(self.leftover)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                return bytes(data), "reset"
            if not chunk:
                return bytes(data), "eof"
            data += chunk
        return bytes(data), "timeout"

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawWebSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def close_codes(data: bytes) -> list[int]:
    """The codes of the close frames in a stream of server frames (which are unmasked)."""
    codes, at = [], 0
    while at + 2 <= len(data):
        opcode, length = data[at] & 0x0F, data[at + 1] & 0x7F
        at += 2
        if length == 126:
            (length,) = struct.unpack_from("!H", data, at)
            at += 2
        elif length == 127:
            (length,) = struct.unpack_from("!Q", data, at)
            at += 8
        if opcode == 0x8 and length >= 2 and at + 2 <= len(data):
            codes.append(struct.unpack_from("!H", data, at)[0])
        at += length
    return codes
