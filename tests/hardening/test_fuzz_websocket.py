"""Arbitrary frames at the stock consumer: always the contract's reply, and the socket lives on."""

import itertools
import json

import pytest
from channels.db import database_sync_to_async
from hypothesis import event, example, given
from hypothesis import strategies as st

from tests.hardening.strategies import (
    HUGE_INTEGERS,
    SKU_RULE,
    json_text,
    json_values,
    non_json_text,
    sku_like,
)
from tests.inventory.helpers import store_state

pytestmark = pytest.mark.django_db(transaction=True)

#: The products of the ``products`` fixture.
KNOWN = ["LAMP-1", "CHAIR-2"]
ERROR_CODES = {"bad_json", "bad_message", "unknown_type", "unknown_product"}

_probes = itertools.count(1)

message_ids = (
    st.none()
    | st.integers()
    | HUGE_INTEGERS
    | st.text(max_size=140)
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.lists(st.integers(), max_size=2)
)
skus_fields = st.just("*") | st.lists(sku_like(KNOWN), max_size=5) | json_values
since_fields = (
    st.dictionaries(
        sku_like(KNOWN), st.integers(min_value=-3) | HUGE_INTEGERS | json_values, max_size=4
    )
    | json_values
)
#: Objects shaped like client messages, each field right, wrong or missing, plus extra fields.
messages = st.builds(
    lambda extra, fields: {**extra, **fields},
    st.dictionaries(st.text(max_size=10), json_values, max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["ping", "subscribe", "unsubscribe"])
            | st.text(max_size=20)
            | json_values,
            "id": message_ids,
            "skus": skus_fields,
            "since": since_fields,
        },
    ),
)
#: Messages of the protocol's own types with a ``skus`` field, so most draws reach its checks.
protocol_messages = st.builds(
    lambda kind, skus, fields: {"type": kind, "skus": skus, **fields},
    st.sampled_from(["ping", "subscribe", "subscribe", "unsubscribe"]),
    st.lists(st.sampled_from(KNOWN), min_size=1, max_size=3)
    | st.lists(sku_like(KNOWN), max_size=5)
    | skus_fields,
    st.fixed_dictionaries({}, optional={"id": message_ids, "since": since_fields}),
)
frames = (
    st.tuples(st.just("text"), protocol_messages.map(json_text))
    | st.tuples(st.just("text"), protocol_messages.map(json_text))
    | st.tuples(st.just("text"), messages.map(json_text))
    | st.tuples(st.just("text"), json_values.map(json_text))
    | st.tuples(st.just("text"), non_json_text)
    | st.tuples(st.just("bytes"), st.binary(max_size=64))
)


def _valid_sku(value: object) -> bool:
    return isinstance(value, str) and SKU_RULE.fullmatch(value) is not None


def _valid_id(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return len(value) <= 128
    return isinstance(value, int) and abs(value) < 2**63


def _valid_since(value: object) -> bool:
    return value is None or (
        isinstance(value, dict)
        and all(_valid_sku(sku) and type(seq) is int and seq >= 0 for sku, seq in value.items())
    )


def expected_reply(kind: str, data: str | bytes) -> tuple[str, str | None, object]:
    """The reply the contract prescribes for one frame: (type, error code, echoed id)."""
    if kind == "bytes":
        return "error", "bad_json", None
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):
        return "error", "bad_json", None
    if not isinstance(message, dict):
        return "error", "bad_message", None
    message_id = message.get("id")
    if message_id is not None and not _valid_id(message_id):
        return "error", "bad_message", None
    kind = message.get("type")
    if not isinstance(kind, str):
        return "error", "bad_message", message_id
    if kind == "ping":
        return "pong", None, message_id
    if kind not in ("subscribe", "unsubscribe"):
        return "error", "unknown_type", message_id
    skus = message.get("skus")
    if skus != "*" and not (isinstance(skus, list) and skus and all(map(_valid_sku, skus))):
        return "error", "bad_message", message_id
    if kind == "unsubscribe":
        return "unsubscribed", None, message_id
    if not _valid_since(message.get("since")):
        return "error", "bad_message", message_id
    if skus != "*" and any(sku not in KNOWN for sku in skus):
        return "error", "unknown_product", message_id
    return "subscribed", None, message_id


def _check_reply(reply: dict, kind: str, data: str | bytes) -> None:
    want_type, want_code, want_id = expected_reply(kind, data)
    assert reply["type"] == want_type, (reply, data[:200])
    assert reply.get("id") == want_id
    if want_type == "error":
        assert reply["code"] == want_code, (reply, data[:200])
        assert reply["code"] in ERROR_CODES
        assert isinstance(reply["message"], str) and reply["message"]
        if want_code == "unknown_product":
            skus = json.loads(data)["skus"]
            assert reply["skus"] == [sku for sku in dict.fromkeys(skus) if sku not in KNOWN]
    elif want_type == "subscribed":
        message = json.loads(data)
        skus = message["skus"]
        assert reply["skus"] == ("*" if skus == "*" else list(dict.fromkeys(skus)))
        covered = KNOWN if skus == "*" else skus
        assert {product["sku"] for product in reply["snapshot"]} == set(covered)
        if message.get("since") is not None:
            assert isinstance(reply["missed"], list) and isinstance(reply["recovered"], bool)


@pytest.fixture
async def fuzz_socket(connect, products, settings):
    """One connection for a whole fuzz run, with a message rate the run cannot reach."""
    settings.STOCKWATCH_MESSAGE_RATE = 1_000_000
    settings.STOCKWATCH_MESSAGE_BURST = 1_000_000
    communicator, welcome = await connect()
    assert welcome["type"] == "welcome"
    return communicator


@example(frame=("text", '{"type": "subscribe", "skus": ["LAMP-1\\n"]}'))
@example(frame=("text", '{"type": "subscribe", "skus": ["LAMP-1"], "since": {"LAMP-1\\n": 0}}'))
@given(frame=frames)
async def test_any_frame_gets_the_contracts_reply_and_the_connection_still_answers_ping(
    fuzz_socket, frame
):
    kind, data = frame
    want_type, want_code, _ = expected_reply(kind, data)
    event(want_code or want_type)
    before = await database_sync_to_async(store_state)()

    # Straight to the application, as daphne hands it over: empty frames included.
    await fuzz_socket.send_input({"type": "websocket.receive", kind: data})
    _check_reply(await fuzz_socket.receive_json_from(timeout=5), kind, data)

    probe = next(_probes)
    await fuzz_socket.send_json_to({"type": "ping", "id": probe})
    assert await fuzz_socket.receive_json_from(timeout=5) == {"type": "pong", "id": probe}
    assert await database_sync_to_async(store_state)() == before
