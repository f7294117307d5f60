// Stand-ins for the socket client tests (test_socket_client.py), run in the page before each
// test's body: a socket the test feeds by hand, frame builders and a client that records events.
const { StockwatchClient, backoffDelay } =
  await import("/static/frontend/js/stockwatch-client.js");
const sockets = [];
class FakeSocket extends EventTarget {
  constructor(url) {
    super();
    this.url = url; this.readyState = 0; this.sent = [];
    sockets.push(this);
    setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event("open")); }, 0);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.readyState = 3; this.dispatchEvent(new Event("close")); }
  receive(frame) { this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(frame) })); }
}
const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (test) => { for (let i = 0; i < 400 && !test(); i++) await tick(); };
const welcome = { type: "welcome", protocol: 1, user: null, heartbeat: 20 };
const stock = (sku, seq, value) =>
  ({ type: "stock", sku, name: sku, stock: value, previous: 0, event: "change", seq, at: "2026-01-01T00:00:00Z" });
const product = (sku, seq, value) =>
  ({ sku, name: sku, stock: value, seq, updated_at: "2026-01-01T00:00:00Z" });
function startClient() {
  const seen = { stock: [], snapshot: [], state: [] };
  const client = new StockwatchClient({
    url: "ws://example.invalid/ws/stock/",
    createSocket: (url) => new FakeSocket(url),
    backoff: { initial: 5, max: 10, jitter: 0.5 },
  });
  client.addEventListener("stock", (e) => {
    const { frame, replayed } = e.detail;
    seen.stock.push([frame.sku, frame.seq, replayed]);
  });
  client.addEventListener("snapshot", (e) => {
    const { products, reset, recovered } = e.detail;
    seen.snapshot.push({ skus: products.map((p) => p.sku), reset, recovered });
  });
  client.addEventListener("state", (e) => seen.state.push(e.detail.state));
  client.start();
  return { client, seen };
}
