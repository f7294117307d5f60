"""Hypothesis strategies for hostile input: any JSON, almost-right messages, raw junk."""

import json
import re

from hypothesis import strategies as st

#: The contract's sku: 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit.
SKU_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

#: Numbers a careless parser chokes on: past 64 bits, past a double, negative zero.
HUGE_INTEGERS = st.sampled_from([2**31, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**30, 10**300])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE_INTEGERS
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)

#: Any JSON value, nested a few levels deep.
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def sku_like(known: list[str]) -> st.SearchStrategy[str]:
    """Strings that are, or nearly are, skus: mostly valid ones, so a list of them often is."""
    near_misses = [k + "\n" for k in known] + [" " + k for k in known] + [k + "\x00" for k in known]
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(known),
        st.from_regex(SKU_RULE, fullmatch=True),
        st.sampled_from(near_misses),
        st.sampled_from(["", "-LAMP", ".x", "A" * 65, "Ä", "LAMP 1", "*", "../etc", "%00"]),
        st.text(max_size=70),
    )


def json_text(value: object) -> str:
    """``value`` as a JSON document; non-finite floats as Python writes them (NaN)."""
    return json.dumps(value, ensure_ascii=False)


#: Text that is not JSON, or only nearly: truncated, Python-isms, stray bytes as text.
non_json_text = st.text(max_size=200) | st.sampled_from(
    [
        "",
        "{",
        '{"type": "ping"',
        "{'type': 'ping'}",
        '{"type": "ping"}{"type": "ping"}',
        '{"type": "ping",}',
        "NaN",
        "-Infinity",
        '{"type": "ping", "id": NaN}',
        '{"type": "ping", "id": ' + "9" * 5000 + "}",
        '{"type": "ping", "id": 1e400}',
        "[" * 20_000 + "]" * 20_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        "\ufeff{}",
        "\x00",
    ]
)
