"""``manage.py send_notifications``: the worker that sends the email outbox."""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from alerts.outbox import outbox_send_batch

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send the queued back-in-stock emails, retrying failures with backoff. Runs until "
        "stopped (SIGTERM or Ctrl-C let the email being sent finish); --once drains what is "
        "due and exits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Send what is due, then exit instead of waiting."
        )
        parser.add_argument(
            "--batch", type=int, default=None, help="Emails to claim at a time (default: setting)."
        )

    def handle(self, *args, once: bool, batch: int | None, **options) -> None:
        self.stopping = False
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._stop)
            logger.info("sending notifications until stopped")
        sent = failed = 0
        while not self.stopping:
            # Drops a connection that broke or outlived its age, as a request would.
            close_old_connections()
            try:
                result = outbox_send_batch(limit=batch, stopping=lambda: self.stopping)
            except Exception:
                if once:
                    raise
                logger.exception("sending a batch failed; retrying")
                result = None
            if result is not None:
                sent, failed = sent + result.sent, failed + result.failed
                if result.claimed:
                    continue
                if once:
                    break
            self._sleep(settings.STOCKWATCH_EMAIL_POLL_SECONDS)
        self.stdout.write(f"sent {sent} emails, {failed} failed attempts")

    def _stop(self, signum: int, frame: object) -> None:
        logger.info("stopping after the current email (signal %d)", signum)
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))
