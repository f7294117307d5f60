"""``manage.py send_notifications`` as it runs beside the server: a loop until SIGTERM."""

import signal
import subprocess
import sys

from tests.alerts.smtp import Recorder, SmtpServer
from tests.support.server import REPO_ROOT

FIRE = """
from django.contrib.auth import get_user_model
from alerts.services import alert_arm
from inventory import services
user = get_user_model().objects.create_user("alice", email="alice@example.com")
services.product_create(sku="LAMP-1", name="Desk lamp", stock=0)
alert_arm(user=user, sku="LAMP-1")
services.product_restock(sku="LAMP-1", quantity=2)
"""


def test_the_worker_sends_what_a_later_restock_queues_and_stops_cleanly_on_sigterm(
    server_factory,
):
    recorder = Recorder()
    smtp = SmtpServer(recorder).start()
    try:
        store = server_factory.store(
            env={"EMAIL_URL": smtp.url, "STOCKWATCH_EMAIL_POLL_SECONDS": "0.1"}
        )
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "send_notifications"],
            cwd=REPO_ROOT,
            env=store.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            store.shell(FIRE)
            [message] = recorder.wait_for(1, timeout=20)
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=20)
    finally:
        smtp.stop()

    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Desk lamp is back in stock"
    assert worker.returncode == 0, output
    assert "sent 1 emails, 0 failed attempts" in output
