"""How many bytes a connection has left unread in the server's send buffer.

Daphne buffers every send without limit and gives the application no backpressure, so
a client that stops reading would make the server hold every later frame for it. The
ASGI ``send`` that daphne hands an application is ``partial(server.handle_reply,
protocol)``; from the protocol we reach Twisted's transport, whose write buffer is what
the client has not yet taken. Under any other server this reports 0 and only the
heartbeat's timeout bounds a stuck connection.
"""

from collections.abc import Callable
from functools import partial


def send_buffer_probe(send: Callable) -> Callable[[], int]:
    """Return a function that reports the unread bytes behind ``send``'s connection."""
    # Channels' session middleware hands the consumer its own bound ``send``, which
    # passes messages on to ``real_send``.
    while not isinstance(send, partial) and hasattr(getattr(send, "__self__", None), "real_send"):
        send = send.__self__.real_send
    protocol = send.args[0] if isinstance(send, partial) and send.args else None
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "dataBuffer"):
        return _nothing_buffered

    def buffered() -> int:
        return (
            len(transport.dataBuffer)
            - getattr(transport, "offset", 0)
            + getattr(transport, "_tempDataLen", 0)
        )

    return buffered


def _nothing_buffered() -> int:
    return 0
