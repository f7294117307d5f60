"""A real SMTP server for tests, on a free local port, that can refuse the first attempts."""

import asyncio
import contextlib
import email
import threading
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller

from tests.support.server import free_port


class Recorder:
    """aiosmtpd handler: keeps each accepted message; refuses the first ``refusals`` RCPTs."""

    def __init__(
        self,
        *,
        refusals: int = 0,
        refusal: str = "451 4.3.0 try again later",
        delay: float = 0,
        senders: int = 1,
    ) -> None:
        self.refusals = refusals
        self.refusal = refusal
        #: Seconds each DATA takes, as a busy server's would.
        self.delay = delay
        #: Connections that must be open before the first message is accepted, so that
        #: that many clients are sure to send side by side.
        self.senders = senders
        self._peers: set = set()
        self._all_connected: asyncio.Event | None = None
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refused = 0
        self.received = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refused < self.refusals:
            self.refused += 1
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.senders > 1:
            await self._wait_for_senders(session.peer)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=default)
        with self.received:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
            self.received.notify_all()
        return "250 Message accepted for delivery"

    async def _wait_for_senders(self, peer) -> None:
        if self._all_connected is None:
            self._all_connected = asyncio.Event()
        self._peers.add(peer)
        if len(self._peers) >= self.senders:
            self._all_connected.set()
        with contextlib.suppress(TimeoutError):
            # Past this the test goes on, and fails on what it checks, not by hanging.
            await asyncio.wait_for(self._all_connected.wait(), 30)

    def wait_for(self, count: int, *, timeout: float = 10) -> list[EmailMessage]:
        """Block until ``count`` messages arrived; fails after ``timeout`` seconds."""
        with self.received:
            arrived = self.received.wait_for(lambda: len(self.messages) >= count, timeout)
        assert arrived, f"got {len(self.messages)} of {count} emails within {timeout} s"
        return list(self.messages)


class SmtpServer:
    """An aiosmtpd server in a thread of this process."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.controller: Controller | None = None
        self.port = 0

    def start(self) -> "SmtpServer":
        for attempt in range(3):
            self.port = free_port()
            self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
            try:
                self.controller.start()
                return self
            except Exception:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self.controller is not None:
            with contextlib.suppress(Exception):
                self.controller.stop()

    @property
    def url(self) -> str:
        """The ``EMAIL_URL`` of this server."""
        return f"smtp://127.0.0.1:{self.port}"
