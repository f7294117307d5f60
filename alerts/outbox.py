"""The email outbox's worker side: claim due emails, send them, retry with backoff.

A worker claims a batch in one short transaction (``select_for_update(skip_locked=True)``
on PostgreSQL, so two workers never wait for or take each other's rows; SQLite's
write lock serialises claims instead) and marks it ``sending`` under a lease. It sends
outside any transaction, so the database is never locked while an SMTP server thinks.
Each result is written only if the row still carries this worker's attempt, so a
worker whose lease ran out cannot overwrite another's. A worker that dies mid-batch
leaves its rows ``sending``; they are due again when the lease ends. Only a crash
between the SMTP server's acceptance and the write of ``sent`` can send one twice.
"""

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts.models import OutboxEmail, OutboxStatus

logger = logging.getLogger(__name__)

#: Longest stored failure reason.
MAX_ERROR_LENGTH = 1000
#: Part of the lease a worker may use for sending; the rest is margin before others may claim.
LEASE_SHARE = 0.8


@dataclass(slots=True)
class BatchResult:
    sent: int = 0
    failed: int = 0
    released: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.failed + self.released


def outbox_retry_delay(*, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from the base, capped."""
    base = settings.STOCKWATCH_EMAIL_RETRY_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.STOCKWATCH_EMAIL_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def outbox_claim(*, limit: int, now: datetime | None = None) -> list[OutboxEmail]:
    """Claim up to ``limit`` due emails for this worker; each counts one more attempt."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.STOCKWATCH_EMAIL_LEASE_SECONDS)
    with transaction.atomic():
        due = OutboxEmail.objects.filter(
            Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING),
            next_attempt_at__lte=now,
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        emails = list(due[:limit])
        if not emails:
            return []
        OutboxEmail.objects.filter(pk__in=[email.pk for email in emails]).update(
            status=OutboxStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=lease_until
        )
    for email in emails:
        email.status = OutboxStatus.SENDING
        email.attempts += 1
        email.next_attempt_at = lease_until
    return emails


def outbox_send_batch(
    *, limit: int | None = None, stopping: Callable[[], bool] = lambda: False
) -> BatchResult:
    """Claim one batch of due emails and send it; returns what became of each.

    Emails not yet sent when ``stopping()`` turns true (or the lease nears its end) are
    given back at once, for this or another worker.
    """
    emails = outbox_claim(limit=limit or settings.STOCKWATCH_EMAIL_BATCH)
    result = BatchResult()
    if not emails:
        return result
    deadline = time.monotonic() + settings.STOCKWATCH_EMAIL_LEASE_SECONDS * LEASE_SHARE
    mail = get_connection()
    try:
        for index, email in enumerate(emails):
            if stopping() or time.monotonic() > deadline:
                result.released += _release(emails[index:])
                break
            try:
                mail.open()
                if mail.send_messages([_message(email, mail)]) != 1:
                    raise RuntimeError("the email backend did not send the message")
            except Exception as exc:
                # The connection may be in any state now; the next email opens a new one.
                with contextlib.suppress(Exception):
                    mail.close()
                _record_failure(email, exc)
                result.failed += 1
            else:
                _record_sent(email)
                result.sent += 1
    finally:
        with contextlib.suppress(Exception):
            mail.close()
    logger.info(
        "outbox batch: %d sent, %d failed, %d released", result.sent, result.failed, result.released
    )
    return result


def _message(email: OutboxEmail, mail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        connection=mail,
        headers={"X-Stockwatch-Outbox-Id": str(email.pk)},
    )
    message.attach_alternative(email.html, "text/html")
    return message


def _ours(email: OutboxEmail):
    """The row, as long as it still carries this worker's claim."""
    return OutboxEmail.objects.filter(
        pk=email.pk, status=OutboxStatus.SENDING, attempts=email.attempts
    )


def _record_sent(email: OutboxEmail) -> None:
    email.status, email.sent_at = OutboxStatus.SENT, timezone.now()
    if not _ours(email).update(status=email.status, sent_at=email.sent_at):
        logger.warning("outbox email %s was sent after its lease ran out", email.pk)


def _record_failure(email: OutboxEmail, exc: Exception) -> None:
    reason = _reason(exc)[:MAX_ERROR_LENGTH]
    now = timezone.now()
    if _permanent(exc) or email.attempts >= settings.STOCKWATCH_EMAIL_MAX_ATTEMPTS:
        email.status, email.next_attempt_at = OutboxStatus.FAILED, now
        logger.error("outbox email %s to %s failed for good: %s", email.pk, email.to, reason)
    else:
        email.status = OutboxStatus.PENDING
        email.next_attempt_at = now + outbox_retry_delay(attempts=email.attempts)
        logger.warning(
            "outbox email %s to %s failed (attempt %d), retrying at %s: %s",
            email.pk,
            email.to,
            email.attempts,
            email.next_attempt_at.isoformat(),
            reason,
        )
    email.last_error = reason
    _ours(email).update(
        status=email.status, next_attempt_at=email.next_attempt_at, last_error=reason
    )


def _release(emails: list[OutboxEmail]) -> int:
    """Give back claimed emails this worker has no time left to send; not an attempt."""
    released = 0
    for email in emails:
        released += _ours(email).update(
            status=OutboxStatus.PENDING, attempts=F("attempts") - 1, next_attempt_at=timezone.now()
        )
    return released


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(
            f"{recipient}: {code} {_text(message)}"
            for recipient, (code, message) in exc.recipients.items()
        )
        return f"recipient refused: {refusals}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def _permanent(exc: Exception) -> bool:
    """A 5xx answer about the recipient or the message: trying again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False
