"""The management commands: restock, seed_demo, issue_token and revoke_token."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from inventory.management.commands.seed_demo import DEMO_PRODUCTS
from inventory.models import Product, Source, StockEvent
from inventory.services import MAX_STOCK
from inventory.tokens import token_issue, token_user
from tests.inventory.helpers import store_state

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_restock_adds_stock_logs_it_as_a_command_and_prints_the_new_stock(
    lamp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as announced:
        output = run("restock", "LAMP-1", "7")

    assert "12" in output
    product = Product.objects.get(sku="LAMP-1")
    assert (product.stock, product.seq) == (12, 1)
    event = StockEvent.objects.get(sku="LAMP-1", seq=1)
    assert (event.source, event.actor) == (Source.COMMAND, None)
    assert len(announced) == 1


def test_restock_of_an_unknown_sku_fails_clearly(lamp):
    with pytest.raises(CommandError, match="NOPE"):
        run("restock", "NOPE", "1")


@pytest.mark.parametrize("quantity", ["0", "-3", "two", "1.5", "", str(MAX_STOCK + 1)])
def test_restock_with_a_bad_quantity_fails_clearly_and_changes_nothing(lamp, quantity):
    before = store_state()

    with pytest.raises(CommandError, match="QUANTITY"):
        run("restock", "LAMP-1", quantity)

    assert store_state() == before


def test_restock_past_the_largest_count_fails_and_changes_nothing(lamp):
    run("restock", "LAMP-1", str(MAX_STOCK - 5))
    before = store_state()

    with pytest.raises(CommandError, match="at most"):
        run("restock", "LAMP-1", "6")

    assert store_state() == before


def test_seed_demo_creates_a_dozen_products_some_sold_out():
    output = run("seed_demo")

    assert Product.objects.count() == len(DEMO_PRODUCTS) >= 10
    assert Product.objects.filter(stock=0).count() >= 2
    assert Product.objects.filter(stock__gt=0).count() >= 6
    assert set(StockEvent.objects.values_list("event", flat=True)) == {"created"}
    assert "12 created" in output


def test_seed_demo_twice_creates_and_changes_nothing_the_second_time():
    run("seed_demo")
    Product.objects.filter(sku=DEMO_PRODUCTS[0][0]).update(name="Renamed by a person")
    before = store_state()

    output = run("seed_demo")

    assert store_state() == before
    assert "0 created" in output


def test_issue_token_prints_a_working_token_on_the_last_line(clerk):
    output = run("issue_token", "clerk")

    token = output.strip().splitlines()[-1]
    assert token_user(raw=token) == clerk


def test_issue_token_for_an_unknown_user_fails_without_create():
    with pytest.raises(CommandError, match="ghost"):
        run("issue_token", "ghost")

    assert not get_user_model().objects.filter(username="ghost").exists()


def test_issue_token_with_create_makes_a_plain_user_without_password():
    output = run("issue_token", "robot", "--create")

    user = get_user_model().objects.get(username="robot")
    assert not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert token_user(raw=output.strip().splitlines()[-1]) == user


def test_issue_token_with_create_keeps_an_existing_user(clerk):
    output = run("issue_token", "clerk", "--create")

    assert get_user_model().objects.filter(username="clerk").count() == 1
    clerk.refresh_from_db()
    assert clerk.is_staff
    assert token_user(raw=output.strip().splitlines()[-1]) == clerk


def test_revoke_token_stops_the_token_from_working(clerk):
    token = token_issue(user=clerk)

    run("revoke_token", token)

    assert token_user(raw=token) is None


def test_revoke_token_of_an_unknown_or_revoked_token_fails(clerk):
    token = token_issue(user=clerk)
    run("revoke_token", token)

    with pytest.raises(CommandError):
        run("revoke_token", token)
    with pytest.raises(CommandError):
        run("revoke_token", "sw_nothing")
