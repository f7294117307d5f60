"""The email outbox: a worker delivers each queued email once to a real SMTP server, retrying."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import BackInStockAlert, OutboxEmail, OutboxStatus
from alerts.outbox import outbox_claim, outbox_retry_delay, outbox_send_batch
from alerts.services import alert_arm
from inventory import services
from tests.alerts.smtp import Recorder, SmtpServer
from tests.support.server import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def smtp(recorder, settings):
    """A real SMTP server, and the store's email settings pointing at it."""
    server = SmtpServer(recorder).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Stockwatch <alerts@shop.example>"
    yield server
    server.stop()


@pytest.fixture
def fired(alice, lamp, settings):
    """Alice's alert for the lamp, fired: one email in the outbox."""
    settings.STOCKWATCH_PUBLIC_URL = "https://shop.example/"
    alert_arm(user=alice, sku="LAMP-1")
    services.product_restock(sku="LAMP-1", quantity=3)
    return OutboxEmail.objects.get()


def send_once() -> str:
    out = StringIO()
    call_command("send_notifications", "--once", stdout=out)
    return out.getvalue()


def test_the_worker_delivers_a_text_and_html_email_linking_to_the_product(smtp, recorder, fired):
    output = send_once()

    [message] = recorder.wait_for(1)
    assert recorder.recipients == [["alice@example.com"]]
    assert message["To"] == "alice@example.com"
    assert message["From"] == "Stockwatch <alerts@shop.example>"
    assert message["Subject"] == "Desk lamp is back in stock"
    assert message["X-Stockwatch-Outbox-Id"] == str(fired.pk)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Desk lamp is back in stock (3 available)" in text
    assert "https://shop.example/?sku=LAMP-1" in text
    assert '<a href="https://shop.example/?sku=LAMP-1">' in html
    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert email.sent_at is not None
    assert "sent 1 emails" in output


def test_an_email_is_sent_once_however_often_the_worker_runs(smtp, recorder, fired):
    send_once()
    send_once()

    assert len(recorder.wait_for(1)) == 1
    assert OutboxEmail.objects.get().attempts == 1


def test_a_refused_first_attempt_is_recorded_and_retried_after_its_backoff(
    smtp, recorder, fired, settings
):
    recorder.refusals = 1
    before = timezone.now()

    send_once()

    email = OutboxEmail.objects.get()
    assert recorder.messages == []
    assert (email.status, email.attempts) == ("pending", 1)
    assert "451" in email.last_error and "try again later" in email.last_error
    retry = timedelta(seconds=settings.STOCKWATCH_EMAIL_RETRY_SECONDS)
    assert before + retry <= email.next_attempt_at <= timezone.now() + retry

    # Not due yet: a worker running now leaves it alone.
    send_once()
    assert OutboxEmail.objects.get().attempts == 1

    # Once its time has come, the next run delivers it.
    OutboxEmail.objects.update(next_attempt_at=timezone.now())
    send_once()

    [message] = recorder.wait_for(1)
    assert message["To"] == "alice@example.com"
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert "451" in email.last_error  # the reason of the failed attempt stays on record


def test_an_unreachable_server_is_retried_then_marked_failed_with_the_reason(fired, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.STOCKWATCH_EMAIL_MAX_ATTEMPTS = 3
    settings.STOCKWATCH_EMAIL_RETRY_SECONDS = 0

    output = send_once()

    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts, email.sent_at) == ("failed", 3, None)
    assert "ConnectionRefusedError" in email.last_error
    assert "sent 0 emails, 3 failed attempts" in output


def test_a_permanent_refusal_of_the_recipient_fails_at_once(smtp, recorder, fired):
    recorder.refusals, recorder.refusal = 1, "550 5.1.1 no such mailbox"

    send_once()

    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts) == ("failed", 1)
    assert "550" in email.last_error and "no such mailbox" in email.last_error


def test_the_wait_doubles_with_each_failed_attempt_up_to_its_cap(settings):
    settings.STOCKWATCH_EMAIL_RETRY_SECONDS = 30
    settings.STOCKWATCH_EMAIL_RETRY_MAX_SECONDS = 200

    waits = [outbox_retry_delay(attempts=n).total_seconds() for n in range(1, 6)]

    assert waits == [30, 60, 120, 200, 200]


def test_a_claimed_email_is_not_claimed_again_until_its_lease_ends(fired, settings):
    [claimed] = outbox_claim(limit=10)

    assert (claimed.status, claimed.attempts) == ("sending", 1)
    assert outbox_claim(limit=10) == []
    lease = timedelta(seconds=settings.STOCKWATCH_EMAIL_LEASE_SECONDS)
    # A worker that died holding it: once the lease ends another takes it, as a new attempt.
    [again] = outbox_claim(limit=10, now=timezone.now() + lease)
    assert (again.pk, again.attempts) == (claimed.pk, 2)


def test_a_stopping_worker_gives_back_the_emails_it_has_not_sent(fired, mailoutbox):
    result = outbox_send_batch(stopping=lambda: True)

    assert (result.sent, result.released) == (0, 1)
    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts) == ("pending", 0)
    assert email.next_attempt_at <= timezone.now()
    assert mailoutbox == []


def test_many_emails_go_out_in_batches_each_once(mailoutbox, lamp, django_user_model, settings):
    settings.STOCKWATCH_EMAIL_BATCH = 7
    for n in range(30):
        user = django_user_model.objects.create_user(f"s{n}", email=f"s{n}@example.com")
        alert_arm(user=user, sku="LAMP-1")
    services.product_restock(sku="LAMP-1", quantity=1)

    send_once()

    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"s{n}@example.com" for n in range(30))
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert BackInStockAlert.objects.filter(emails__status=OutboxStatus.SENT).count() == 30
