"""The exceptions a stockwatch client raises."""

from __future__ import annotations


class StockwatchError(Exception):
    """Base of every error the client raises on purpose."""


class ConnectionFailed(StockwatchError):
    """The first connection to the server could not be made."""


class AuthenticationFailed(StockwatchError):
    """The server refused the handshake (HTTP 403): an unknown or revoked token."""


class ProtocolError(StockwatchError):
    """The server answered a request with an ``error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnknownProduct(ProtocolError):
    """A subscribe named skus the server does not know; ``skus`` lists them."""

    def __init__(self, skus: list[str], message: str) -> None:
        super().__init__("unknown_product", message)
        self.skus = list(skus)
