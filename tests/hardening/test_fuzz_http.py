"""Any request at every HTTP endpoint: the contract's answer, never a 500 nor a stray write."""

import json
from urllib.parse import quote

import hypothesis
import pytest
from django.test import Client
from hypothesis import event, example, given
from hypothesis import strategies as st

from inventory.models import Product
from inventory.services import MAX_STOCK
from inventory.tokens import token_issue
from tests.hardening.strategies import (
    HUGE_INTEGERS,
    SKU_RULE,
    json_text,
    json_values,
    non_json_text,
    sku_like,
)
from tests.inventory.helpers import store_state

pytestmark = pytest.mark.django_db

#: The products of the ``lamp`` and ``sold_out_mug`` fixtures.
KNOWN = ["LAMP-1", "MUG-2"]
#: What each status's error code is; 409 has two (``exists``, ``insufficient_stock``).
CODES = {400: {"invalid"}, 401: {"unauthenticated"}, 403: {"forbidden"}, 404: {"not_found"}}
CODES |= {405: {"method_not_allowed"}, 409: {"exists", "insufficient_stock"}}
CODES |= {413: {"too_large"}, 429: {"rate_limited"}}

#: (method, path template) of every API operation; ``{sku}`` is filled in per example.
OPERATIONS = [
    ("GET", "/api/products/"),
    ("POST", "/api/products/"),
    ("GET", "/api/products/{sku}/"),
    ("GET", "/api/products/{sku}/events"),
    ("POST", "/api/products/{sku}/restock"),
    ("POST", "/api/products/{sku}/sell"),
    ("PUT", "/api/products/{sku}/stock"),
]
ALLOWED = {}
for _method, _path in OPERATIONS:
    ALLOWED.setdefault(_path, set()).add(_method)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CREDENTIALS = ["none", "clerk", "shopper", "unknown", "malformed"]
CONTENT_TYPES = ["application/json"] * 4 + [
    "APPLICATION/JSON",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
]

numbers = (
    st.integers(min_value=-3, max_value=20)
    | st.integers()
    | HUGE_INTEGERS
    | st.sampled_from([MAX_STOCK, MAX_STOCK + 1, 0, -0.0, 1.0, True, False, "1", None])
    | st.floats()
    | json_values
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "quantity": numbers,
        "stock": numbers,
        "sku": sku_like(KNOWN) | json_values,
        "name": st.text(max_size=210) | st.sampled_from(["", "   ", "x" * 200, "x" * 201]),
    },
)
#: JSON objects with the API's fields, right, wrong or missing, and extra fields.
objects = st.builds(
    lambda extra, known: {**extra, **known},
    st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    fields,
)
#: Bodies with every field the writes need, so that many of them get as far as the services.
write_objects = st.fixed_dictionaries(
    {
        "quantity": st.integers(min_value=-1, max_value=20) | numbers,
        "stock": st.integers(min_value=-1, max_value=20) | numbers,
        "sku": st.from_regex(SKU_RULE, fullmatch=True) | sku_like(KNOWN),
        "name": st.text(min_size=1, max_size=30) | st.text(max_size=210),
    }
)
bodies = (
    write_objects.map(json_text)
    | write_objects.map(json_text)
    | objects.map(json_text)
    | json_values.map(json_text)
    | non_json_text
    | st.binary(max_size=64)
)
requests = st.fixed_dictionaries(
    {
        # The writes twice over: they have the most to get wrong.
        "operation": st.sampled_from(OPERATIONS + [op for op in OPERATIONS if op[0] != "GET"]),
        "method": st.sampled_from([None] * 6 + METHODS),  # None: the operation's own
        "sku": sku_like(KNOWN).filter(lambda sku: "/" not in sku),
        "query": st.none() | st.sampled_from(["1", "500", "0", "501", "-1", "x", "1.5", "9" * 30]),
        "credential": st.sampled_from(["clerk"] * 4 + CREDENTIALS),
        "content_type": st.sampled_from(CONTENT_TYPES),
        "body": bodies,
    }
)


def _valid_count(value: object, *, minimum: int) -> bool:
    return type(value) is int and minimum <= value <= MAX_STOCK


def _parsed_object(request: dict) -> dict | None:
    """The body as the contract reads it: a JSON object sent as JSON, or None."""
    if request["content_type"].split(";")[0].strip().lower() != "application/json":
        return None
    try:
        data = json.loads(request["body"])
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def expected_statuses(request: dict, stock: dict[str, int]) -> set[int]:
    """The statuses the contract allows for one request (``stock``: each product's now)."""
    template = request["operation"][1]
    method = request["method"] or request["operation"][0]
    sku = request["sku"]
    if "{sku}" in template and sku == "":
        return {404}  # "/api/products//..." is no endpoint.
    if method not in ALLOWED[template]:
        return {405}  # HEAD too: the API lists only GET, and 405 names it in Allow.
    credential = request["credential"]
    if credential in ("unknown", "malformed"):
        return {401}
    sku_ok = SKU_RULE.fullmatch(sku) is not None
    if method == "GET":
        if template.endswith("/events") and request["query"] is not None:
            if not request["query"].isdigit() or not 1 <= int(request["query"]) <= 500:
                return {400}
        if "{sku}" not in template:
            return {200}
        if not sku_ok:
            return {400}
        return {200} if sku in stock else {404}
    if credential == "none":
        return {401}
    if credential == "shopper":
        return {403}
    body = _parsed_object(request)
    if body is None:
        return {400}
    if template == "/api/products/":
        if not isinstance(body.get("sku"), str) or not isinstance(body.get("name"), str):
            return {400}
        if "stock" in body and not _valid_count(body["stock"], minimum=0):
            return {400}
        if SKU_RULE.fullmatch(body["sku"]) is None:
            return {400}
        name = body["name"]
        if not name.strip() or len(name) > 200 and len(name.strip()) > 200:
            return {400}
        # Whitespace that Python and the validator see differently (e.g. U+001C) may go either way.
        return {201, 409, 400} if body["sku"] not in stock else {409, 400}
    field, minimum = ("stock", 0) if template.endswith("/stock") else ("quantity", 1)
    if not _valid_count(body.get(field), minimum=minimum):
        return {400}
    if not sku_ok:
        return {400}
    if sku not in stock:
        return {404}
    amount = body[field]
    if template.endswith("/sell") and amount > stock[sku]:
        return {409}
    if template.endswith("/restock") and stock[sku] + amount > MAX_STOCK:
        return {400}
    return {200}


def _check_effect(request: dict, response, before: dict[str, int]) -> None:
    """An accepted write did exactly what it says, and nothing else."""
    template = request["operation"][1]
    body = json.loads(request["body"])
    after = dict(Product.objects.values_list("sku", "stock"))
    if template == "/api/products/":
        created = Product.objects.get(sku=body["sku"])
        assert (created.stock, created.seq) == (body.get("stock", 0), 0)
        assert after == {**before, body["sku"]: created.stock}
        return
    sku = request["sku"]
    if template.endswith("/restock"):
        want = before[sku] + body["quantity"]
    elif template.endswith("/sell"):
        want = before[sku] - body["quantity"]
    else:
        want = body["stock"]
    assert response.json()["stock"] == want
    assert after == {**before, sku: want}


@pytest.fixture
def credentials(clerk_token, shopper, settings):
    """An Authorization header per kind of caller, with writes not rate limited."""
    settings.STOCKWATCH_API_WRITE_RATE = "1000000/m"
    return {
        "none": {},
        "clerk": {"Authorization": f"Bearer {clerk_token}"},
        "shopper": {"Authorization": f"Bearer {token_issue(user=shopper)}"},
        "unknown": {"Authorization": "Bearer sw_not-a-token-anyone-was-given"},
        "malformed": {"Authorization": "Basic c2hvcHBlcjpwYXNz"},
    }


@example(
    request={
        "operation": ("POST", "/api/products/"),
        "method": None,
        "sku": "x",
        "query": None,
        "credential": "clerk",
        "content_type": "application/json",
        "body": json.dumps({"sku": "NEW-1\n", "name": "New"}),
    }
)
@given(request=requests)
def test_any_request_gets_the_contracts_answer_and_a_refused_one_changes_nothing(
    credentials, lamp, sold_out_mug, request
):
    template = request["operation"][1]
    method = request["method"] or request["operation"][0]
    path = template.replace("{sku}", quote(request["sku"], safe=""))
    if request["query"] is not None:
        path += "?limit=" + request["query"]
    before_state = store_state()
    stock = dict(Product.objects.values_list("sku", "stock"))
    client = Client(headers=credentials[request["credential"]])

    response = client.generic(method, path, request["body"], content_type=request["content_type"])

    allowed = expected_statuses(request, stock)
    event(f"{method} {template} -> {response.status_code}")
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        if method != "HEAD":  # whose answer carries no body
            error = response.json()["error"]
            assert error["code"] in CODES[response.status_code]
            assert isinstance(error["message"], str) and error["message"]
        assert store_state() == before_state
    elif method != "GET":
        _check_effect(request, response, stock)
    else:
        assert store_state() == before_state


@hypothesis.settings(max_examples=150)
@given(
    path=st.sampled_from(["/healthz", "/metrics", "/", "/api/", "/api/nothing/here"]),
    method=st.sampled_from(METHODS),
    body=bodies,
)
def test_the_other_endpoints_never_fail_on_any_method_or_body(lamp, path, method, body):
    before = store_state()

    response = Client().generic(method, path, body, content_type="application/json")

    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert store_state() == before
