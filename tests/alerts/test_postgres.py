"""Concurrency on PostgreSQL: parallel restocks fire each alert once; parallel workers send once."""

import json
import re
import subprocess
import sys
import time

import psycopg
import pytest

from tests.alerts.smtp import Recorder, SmtpServer
from tests.support.fixtures import POSTGRES_URL
from tests.support.server import REPO_ROOT, Store

pytestmark = pytest.mark.postgres

SHOPPERS = 60
#: The advisory lock the test holds until every racer waits on it, so that they start together.
BARRIER = 4242

ARM = f"""
from django.contrib.auth import get_user_model
from alerts.services import alert_arm
from inventory import services
services.product_create(sku="LAMP-1", name="Desk lamp", stock=0)
for n in range({SHOPPERS}):
    user = get_user_model().objects.create_user(f"shopper{{n}}", email=f"shopper{{n}}@example.com")
    alert_arm(user=user, sku="LAMP-1")
"""

RESTOCK_AT_BARRIER = f"""
from django.db import connection
from inventory import services
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_advisory_lock_shared({BARRIER})")
services.product_restock(sku="LAMP-1", quantity=1)
"""

OUTCOME = """
import json
from alerts.models import BackInStockAlert, OutboxEmail
from inventory.models import StockEvent
alerts = BackInStockAlert.objects.order_by()
print(json.dumps({
    "alerts": list(alerts.values_list("status", "fired_seq").distinct()),
    "alert_count": BackInStockAlert.objects.count(),
    "emails": OutboxEmail.objects.count(),
    "emailed_alerts": OutboxEmail.objects.order_by().values("alert").distinct().count(),
    "events": list(StockEvent.objects.order_by("seq").values_list("seq", "event")),
}))
"""

EMAILS = """
import json
from alerts.models import OutboxEmail
print(json.dumps(list(OutboxEmail.objects.order_by("id").values_list("id", "status", "attempts"))))
"""


def manage(store: Store, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=store.environ(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen, *, timeout: float = 60) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def last_json(output: str):
    return json.loads(output.strip().splitlines()[-1])


def waiting_on_barrier(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = %s",
            [BARRIER],
        ).fetchone()
    return row[0]


def test_two_parallel_restocks_of_a_sold_out_product_fire_each_alert_once(server_factory):
    store = server_factory.store(database_url=POSTGRES_URL)
    store.shell(ARM)
    with psycopg.connect(store.database_url, autocommit=True) as barrier:
        barrier.execute("SELECT pg_advisory_lock(%s)", [BARRIER])
        racers = [manage(store, "shell", "--no-imports", "-c", RESTOCK_AT_BARRIER)]
        racers.append(manage(store, "shell", "--no-imports", "-c", RESTOCK_AT_BARRIER))
        deadline = time.monotonic() + 30
        while waiting_on_barrier(store.database_url) < 2:
            assert time.monotonic() < deadline, "the racers never reached the barrier"
            assert all(racer.poll() is None for racer in racers), "a racer ended early"
            time.sleep(0.05)
        barrier.execute("SELECT pg_advisory_unlock(%s)", [BARRIER])
        for racer in racers:
            finish(racer)

    outcome = last_json(store.shell(OUTCOME))
    # One restock (0 -> 1) and one change (1 -> 2): the first fired every alert, once.
    assert outcome["events"] == [[0, "created"], [1, "restock"], [2, "change"]]
    assert outcome["alerts"] == [["notified", 1]]
    assert outcome["alert_count"] == SHOPPERS
    assert outcome["emails"] == outcome["emailed_alerts"] == SHOPPERS


def test_two_workers_send_each_email_once(server_factory):
    # The server holds the first message until a second connection opens, so both workers
    # are sure to be sending at once; each message then takes it a while.
    recorder = Recorder(senders=2, delay=0.02)
    smtp = SmtpServer(recorder).start()
    try:
        store = server_factory.store(database_url=POSTGRES_URL, env={"EMAIL_URL": smtp.url})
        store.shell(ARM + '\nservices.product_restock(sku="LAMP-1", quantity=5)\n')
        workers = [manage(store, "send_notifications", "--once", "--batch", "4") for _ in "ab"]
        outputs = [finish(worker) for worker in workers]
        messages = recorder.wait_for(SHOPPERS, timeout=30)
        time.sleep(0.2)  # a duplicate would arrive about now
    finally:
        smtp.stop()

    ids = [message["X-Stockwatch-Outbox-Id"] for message in recorder.messages]
    assert len(ids) == len(set(ids)) == SHOPPERS
    assert sorted(message["To"] for message in messages) == sorted(
        f"shopper{n}@example.com" for n in range(SHOPPERS)
    )
    rows = last_json(store.shell(EMAILS))
    assert {(status, attempts) for _, status, attempts in rows} == {("sent", 1)}
    sent = [int(re.search(r"sent (\d+) emails", output).group(1)) for output in outputs]
    assert sum(sent) == SHOPPERS
    assert all(count > 0 for count in sent), f"one worker sent nothing: {sent}"
