"""The admin changes stock only through the services, and keeps the log and tokens safe."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client

from inventory.models import ApiToken, Product, Source, StockEvent
from inventory.services import MAX_STOCK, product_create, product_set_stock
from inventory.tokens import token_issue, token_user
from tests.inventory.helpers import store_state

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/inventory/product/"


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def shelf(lamp, sold_out_mug):
    product_create(sku="PEN-3", name="Fountain pen", stock=40, source=Source.COMMAND)
    return Product.objects.order_by("sku")


def test_the_product_list_shows_sku_name_stock_seq_and_time(admin_client, lamp):
    response = admin_client.get(PRODUCTS)

    assert response.status_code == 200
    page = response.content.decode()
    for column in ["column-sku", "column-name", "column-stock", "column-seq", "column-updated_at"]:
        assert column in page
    assert "LAMP-1" in page


def test_the_product_list_filters_sold_out_and_in_stock(admin_client, shelf):
    sold_out = admin_client.get(PRODUCTS, {"availability": "sold_out"})
    in_stock = admin_client.get(PRODUCTS, {"availability": "in_stock"})

    assert [p.sku for p in sold_out.context["cl"].result_list] == ["MUG-2"]
    assert [p.sku for p in in_stock.context["cl"].result_list] == ["LAMP-1", "PEN-3"]


def test_the_product_list_searches_by_sku_and_name(admin_client, shelf):
    assert [p.sku for p in admin_client.get(PRODUCTS, {"q": "pen"}).context["cl"].result_list] == [
        "PEN-3"
    ]
    assert [p.sku for p in admin_client.get(PRODUCTS, {"q": "MUG"}).context["cl"].result_list] == [
        "MUG-2"
    ]


def _select(products) -> dict:
    return {"action": "restock_selected", ACTION_CHECKBOX_NAME: [p.pk for p in products]}


def test_the_restock_action_first_asks_for_the_quantity(admin_client, shelf):
    chosen = shelf.filter(sku__in=["LAMP-1", "MUG-2"])
    before = store_state()

    response = admin_client.post(PRODUCTS, _select(chosen))

    assert response.status_code == 200
    assert "quantity" in response.context["form"].fields
    assert b"Desk lamp" in response.content
    assert b"Fountain pen" not in response.content
    assert store_state() == before


def test_the_restock_action_adds_the_quantity_through_the_service(
    admin_client, shelf, superuser, django_capture_on_commit_callbacks
):
    chosen = shelf.filter(sku__in=["LAMP-1", "MUG-2"])

    with django_capture_on_commit_callbacks(execute=True) as announced:
        response = admin_client.post(PRODUCTS, {**_select(chosen), "apply": "1", "quantity": "3"})

    assert response.status_code == 302
    stock = dict(Product.objects.values_list("sku", "stock"))
    assert stock == {"LAMP-1": 8, "MUG-2": 3, "PEN-3": 40}
    events = StockEvent.objects.filter(seq=1).order_by("sku")
    assert [(e.sku, e.event, e.source, e.actor) for e in events] == [
        ("LAMP-1", "change", Source.ADMIN, superuser),
        ("MUG-2", "restock", Source.ADMIN, superuser),
    ]
    assert len(announced) == 2


@pytest.mark.parametrize("quantity", ["0", "-2", "x", "", "2.5"])
def test_the_restock_action_with_a_bad_quantity_asks_again_and_changes_nothing(
    admin_client, shelf, quantity
):
    before = store_state()

    response = admin_client.post(PRODUCTS, {**_select(shelf), "apply": "1", "quantity": quantity})

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    assert store_state() == before


def test_a_staff_member_without_change_permission_gets_no_restock_action(
    staff_without_permission, shelf
):
    client = Client()
    client.force_login(staff_without_permission)
    before = store_state()

    response = client.post(PRODUCTS, {**_select(shelf), "apply": "1", "quantity": "3"})

    assert response.status_code == 403
    assert store_state() == before


def test_editing_stock_in_the_change_form_goes_through_the_service(admin_client, lamp, superuser):
    response = admin_client.post(
        f"{PRODUCTS}{lamp.pk}/change/", {"name": "Desk lamp", "stock": "0", "seq": "99"}
    )

    assert response.status_code == 302
    product = Product.objects.get(sku="LAMP-1")
    assert (product.stock, product.seq) == (0, 1)
    event = StockEvent.objects.get(sku="LAMP-1", seq=1)
    assert (event.event, event.previous, event.source, event.actor) == (
        "sold_out",
        5,
        Source.ADMIN,
        superuser,
    )


def test_renaming_in_the_change_form_logs_no_stock_event(admin_client, lamp):
    response = admin_client.post(
        f"{PRODUCTS}{lamp.pk}/change/", {"name": "Reading lamp", "stock": "5"}
    )

    assert response.status_code == 302
    product = Product.objects.get(sku="LAMP-1")
    assert (product.name, product.stock, product.seq) == ("Reading lamp", 5, 0)
    assert StockEvent.objects.filter(sku="LAMP-1").count() == 1


def test_renaming_and_restocking_together_logs_the_event_with_the_new_name(admin_client, lamp):
    admin_client.post(f"{PRODUCTS}{lamp.pk}/change/", {"name": "Reading lamp", "stock": "9"})

    events = admin_client.get("/api/products/LAMP-1/events").json()["events"]
    assert (events[-1]["name"], events[-1]["stock"]) == ("Reading lamp", 9)


@pytest.mark.parametrize("stock", ["-1", "abc", "2147483648"])
def test_the_change_form_refuses_a_bad_stock(admin_client, lamp, stock):
    before = store_state()

    response = admin_client.post(f"{PRODUCTS}{lamp.pk}/change/", {"name": "Lamp", "stock": stock})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["stock"]
    assert store_state() == before


def test_seq_and_updated_at_are_read_only_in_the_change_form(admin_client, lamp):
    form = admin_client.get(f"{PRODUCTS}{lamp.pk}/change/").context["adminform"].form

    assert set(form.fields) == {"name", "stock"}


def test_adding_a_product_goes_through_the_create_service(admin_client, superuser):
    response = admin_client.post(f"{PRODUCTS}add/", {"sku": "NEW-9", "name": "New", "stock": "4"})

    assert response.status_code == 302
    product = Product.objects.get(sku="NEW-9")
    assert (product.stock, product.seq) == (4, 0)
    event = StockEvent.objects.get(sku="NEW-9")
    assert (event.event, event.source, event.actor) == ("created", Source.ADMIN, superuser)


def test_adding_a_duplicate_sku_is_refused_in_the_form(admin_client, lamp):
    before = store_state()

    response = admin_client.post(f"{PRODUCTS}add/", {"sku": "LAMP-1", "name": "Dup", "stock": "1"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert store_state() == before


def test_the_stock_event_log_is_listed_filtered_and_searched(admin_client, shelf):
    url = "/admin/inventory/stockevent/"

    assert admin_client.get(url).status_code == 200
    assert [e.sku for e in admin_client.get(url, {"q": "MUG"}).context["cl"].result_list] == [
        "MUG-2"
    ]
    filtered = admin_client.get(url, {"event__exact": "created", "source__exact": "command"})
    assert len(filtered.context["cl"].result_list) == 3


def test_the_stock_event_log_cannot_be_added_changed_or_deleted(admin_client, lamp):
    event = StockEvent.objects.get(sku="LAMP-1")
    url = "/admin/inventory/stockevent/"

    assert admin_client.get(f"{url}add/").status_code == 403
    change = admin_client.post(f"{url}{event.pk}/change/", {"stock": "99", "previous": "1"})
    assert change.status_code == 403
    assert admin_client.post(f"{url}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert (event.stock, event.previous) == (5, 0)
    assert StockEvent.objects.count() == 1


def test_the_token_list_shows_prefixes_and_never_the_hash(admin_client, clerk):
    token_issue(user=clerk)
    token = ApiToken.objects.get()

    listing = admin_client.get("/admin/inventory/apitoken/")
    detail = admin_client.get(f"/admin/inventory/apitoken/{token.pk}/change/")

    assert token.prefix.encode() in listing.content
    for page in (listing, detail):
        assert token.key_hash.encode() not in page.content
    assert "key_hash" not in detail.context["adminform"].form.fields
    assert admin_client.get("/admin/inventory/apitoken/add/").status_code == 403


def test_the_revoke_action_revokes_the_selected_tokens(admin_client, clerk):
    kept, revoked = token_issue(user=clerk), token_issue(user=clerk)
    target = ApiToken.objects.get(prefix=revoked[:10])

    response = admin_client.post(
        "/admin/inventory/apitoken/", {"action": "revoke", ACTION_CHECKBOX_NAME: [target.pk]}
    )

    assert response.status_code == 302
    assert token_user(raw=revoked) is None
    assert token_user(raw=kept) == clerk


def test_the_restock_action_restocks_none_when_one_cannot_take_it(admin_client, shelf):
    product_set_stock(sku="PEN-3", stock=MAX_STOCK)
    before = store_state()

    response = admin_client.post(PRODUCTS, {**_select(shelf), "apply": "1", "quantity": "1"})

    assert response.status_code == 302
    assert store_state() == before
    assert "Nothing was restocked" in str(list(get_messages(response.wsgi_request))[0])
