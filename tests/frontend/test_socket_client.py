"""The socket client module's bookkeeping, run in Chromium against a stand-in socket.

The real server cannot be made to send duplicates, stale frames or a lost gap on demand, so
these tests feed frames by hand; the reconnect test in test_reconnect.py covers the real thing.
"""

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

#: Defines `FakeSocket`, `sockets`, `until()`, frame builders and `startClient()` in the page.
HARNESS = (Path(__file__).parent / "socket_harness.js").read_text()


def run_in_page(page, body: str):
    """Run ``body`` (async JavaScript after the harness) in the page; returns what it returns."""
    script = (
        "const done = arguments[arguments.length - 1];"
        f"(async () => {{ {HARNESS}\n{body} }})()"
        ".then((value) => done(JSON.stringify({ value })),"
        "      (error) => done(JSON.stringify({ error: String(error.stack || error) })));"
    )
    page.driver.set_script_timeout(10)
    result = json.loads(page.driver.execute_async_script(script))
    assert "error" not in result, result.get("error")
    return result["value"]


@pytest.fixture
def blank_page(open_page, server):
    """A page of the server that runs no client of its own."""
    return open_page(server).open("/accounts/login/")


def test_client_subscribes_to_everything_and_drops_duplicate_and_stale_frames(blank_page):
    result = run_in_page(
        blank_page,
        """
        const { client, seen } = startClient();
        await until(() => sockets[0]?.readyState === 1);
        sockets[0].receive(welcome);
        const subscribe = sockets[0].sent[0];
        sockets[0].receive({ type: "subscribed", skus: "*", snapshot: [product("A", 3, 1)] });
        for (const [seq, value] of [[3, 1], [2, 9], [4, 5], [4, 5], [6, 2], [5, 7]]) {
          sockets[0].receive(stock("A", seq, value));
        }
        return { subscribe, stock: seen.stock, last: client.lastSeq("A"), state: client.state };
        """,
    )

    assert result["subscribe"] == {"type": "subscribe", "skus": "*"}
    assert result["stock"] == [["A", 4, False], ["A", 6, False]]
    assert result["last"] == 6
    assert result["state"] == "live"


def test_client_reconnects_resumes_with_since_and_applies_missed_frames_in_order(blank_page):
    result = run_in_page(
        blank_page,
        """
        const { client, seen } = startClient();
        await until(() => sockets[0]?.readyState === 1);
        sockets[0].receive(welcome);
        sockets[0].receive(
          { type: "subscribed", skus: "*", snapshot: [product("A", 4, 1), product("B", 0, 3)] });
        sockets[0].receive(stock("B", 1, 2));
        sockets[0].close();
        const during = client.state;
        await until(() => sockets[1]?.readyState === 1);
        sockets[1].receive(welcome);
        const resubscribe = sockets[1].sent[0];
        sockets[1].receive({
          type: "subscribed", skus: "*", recovered: true,
          missed: [stock("A", 5, 8), stock("A", 6, 0), stock("B", 1, 2)],
          snapshot: [product("A", 6, 0), product("B", 1, 2), product("C", 0, 4)],
        });
        return {
          during, resubscribe, stock: seen.stock, snapshot: seen.snapshot, state: client.state,
          seqs: [client.lastSeq("A"), client.lastSeq("B"), client.lastSeq("C")],
        };
        """,
    )

    assert result["during"] == "reconnecting"
    assert result["resubscribe"] == {"type": "subscribe", "skus": "*", "since": {"A": 4, "B": 1}}
    assert result["stock"] == [["B", 1, False], ["A", 5, True], ["A", 6, True]]
    assert result["snapshot"][-1] == {"skus": ["A", "B", "C"], "reset": False, "recovered": True}
    assert result["seqs"] == [6, 1, 0]
    assert result["state"] == "live"


def test_client_takes_the_snapshot_as_the_truth_when_the_gap_was_not_recovered(blank_page):
    result = run_in_page(
        blank_page,
        """
        const { client, seen } = startClient();
        await until(() => sockets[0]?.readyState === 1);
        sockets[0].receive(welcome);
        sockets[0].receive(
          { type: "subscribed", skus: "*", snapshot: [product("A", 4, 1), product("GONE", 2, 1)] });
        sockets[0].close();
        await until(() => sockets[1]?.readyState === 1);
        sockets[1].receive(welcome);
        sockets[1].receive({
          type: "subscribed", skus: "*", recovered: false, missed: [],
          snapshot: [product("A", 90, 3)],
        });
        sockets[1].receive(stock("A", 90, 3));
        sockets[1].receive(stock("A", 91, 4));
        return {
          snapshot: seen.snapshot.at(-1), stock: seen.stock,
          a: client.lastSeq("A"), gone: client.lastSeq("GONE") ?? null,
        };
        """,
    )

    assert result["snapshot"] == {"skus": ["A"], "reset": True, "recovered": False}
    assert result["stock"] == [["A", 91, False]]
    assert result["a"] == 91
    assert result["gone"] is None


def test_backoff_grows_exponentially_is_capped_and_jittered(blank_page):
    delays = run_in_page(
        blank_page,
        """
        const options = { initial: 500, factor: 2, max: 15000, jitter: 0.5 };
        return [0, 1, 2, 5, 10, 30].map((attempt) =>
          [backoffDelay(attempt, options, () => 0), backoffDelay(attempt, options, () => 1)],
        );
        """,
    )

    assert delays == [
        [500, 250],
        [1000, 500],
        [2000, 1000],
        [15000, 7500],
        [15000, 7500],
        [15000, 7500],
    ]


def test_since_for_thousands_of_skus_stays_under_the_frame_limit_keeping_recent_changes(
    blank_page,
):
    result = run_in_page(
        blank_page,
        """
        const { client } = startClient();
        await until(() => sockets[0]?.readyState === 1);
        sockets[0].receive(welcome);
        const name = (i) => `SKU-${String(i).padStart(5, "0")}-long-name`;
        const many = Array.from({ length: 5000 }, (_, i) => product(name(i), 100000 + i, 1));
        sockets[0].receive({ type: "subscribed", skus: "*", snapshot: many });
        sockets[0].receive(stock("SKU-00007-long-name", 200000, 3));
        sockets[0].close();
        await until(() => sockets[1]?.readyState === 1);
        sockets[1].receive(welcome);
        const text = JSON.stringify(sockets[1].sent[0]);
        const since = sockets[1].sent[0].since;
        return {
          bytes: new TextEncoder().encode(text).length,
          count: Object.keys(since).length,
          recent: since["SKU-00007-long-name"] ?? null,
        };
        """,
    )

    assert result["bytes"] < 64 * 1024
    assert 1000 < result["count"] < 5000
    assert result["recent"] == 200000
