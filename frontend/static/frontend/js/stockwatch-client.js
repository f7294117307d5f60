/**
 * stockwatch-client.js — a small browser client for the stockwatch WebSocket protocol, v1.
 *
 * It connects, subscribes, keeps the last seq it has seen per sku, reconnects with capped,
 * jittered exponential backoff and resumes with `since`, so a page built on it sees every
 * change exactly once and in order, also across outages. It renders nothing: it only emits
 * events. Reuse it on any store page:
 *
 *     import { StockwatchClient } from "/static/frontend/js/stockwatch-client.js";
 *
 *     const client = new StockwatchClient({ skus: ["LAMP-1"] });   // or "*" for all
 *     client.addEventListener("snapshot", (e) => draw(e.detail.products));
 *     client.addEventListener("stock", (e) => update(e.detail.frame));
 *     client.addEventListener("state", (e) => showStatus(e.detail.state));
 *     client.start();
 *
 * Events (all `CustomEvent`s; read `event.detail`):
 *
 * - `state`    `{state, attempt, delay}` — `state` is one of "connecting", "live",
 *              "reconnecting", "offline", "stopped"; `delay` is the wait in ms before the
 *              next attempt while reconnecting.
 * - `welcome`  the server's welcome frame (`user` is the signed-in user name or null).
 * - `snapshot` `{products, recovered, reset}` — every subscribed product as the server has it
 *              now. `reset` is true on the first subscribe and whenever the server could not
 *              replay what was missed (`recovered: false`): the list is then the whole truth.
 *              Products absent from a `"*"` snapshot no longer exist.
 * - `stock`    `{frame, replayed}` — one stock frame with a seq above the last one seen for its
 *              sku; `replayed` is true for frames recovered after a reconnect. Duplicates and
 *              stale frames are never emitted.
 * - `alert`    `{frame}` — a back-in-stock alert for the signed-in user.
 * - `error`    `{frame}` — an error frame from the server (the connection stays open).
 *
 * A frame whose seq is not above the last one seen for its sku is dropped; a snapshot entry
 * is applied to the bookkeeping only when it moves a sku forward (or on a reset).
 */

const OPEN = 1; // WebSocket.OPEN, spelt out so that stand-in sockets need not define it

/** Default reconnect timing, in milliseconds. */
export const DEFAULT_BACKOFF = Object.freeze({ initial: 500, factor: 2, max: 15000, jitter: 0.5 });

/**
 * Serialised `since` maps above this many characters are trimmed to the most recently changed
 * skus: the server refuses client frames over 64 KiB, and the snapshot covers the rest.
 */
export const SINCE_BUDGET_CHARS = 48 * 1024;

/**
 * The delay before reconnect attempt number `attempt` (0 for the first retry): exponential,
 * capped at `max`, with up to `jitter` of it taken off at random so that many clients dropped
 * at once do not come back in step.
 */
export function backoffDelay(attempt, { initial, factor, max, jitter } = DEFAULT_BACKOFF, random = Math.random) {
  const ceiling = Math.min(max, initial * factor ** attempt);
  return Math.round(ceiling * (1 - jitter * random()));
}

/** The `/ws/stock/` URL on this page's host, `wss:` under https and `ws:` otherwise. */
export function defaultSocketUrl(path = "/ws/stock/", loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}${path}`;
}

export class StockwatchClient extends EventTarget {
  /**
   * @param {object} [options]
   * @param {string} [options.url] WebSocket URL; defaults to this host's `/ws/stock/`.
   * @param {string[]|"*"} [options.skus] what to subscribe to; `"*"` is every product.
   * @param {object} [options.backoff] `{initial, factor, max, jitter}`, see DEFAULT_BACKOFF.
   * @param {number} [options.heartbeat] seconds of silence after which the client pings; the
   *   server's welcome overrides it. A ping unanswered for as long again drops the connection.
   * @param {function} [options.createSocket] `(url) => WebSocket`-like object; for tests and for
   *   pages that wrap the browser's WebSocket.
   */
  constructor({
    url,
    skus = "*",
    backoff = DEFAULT_BACKOFF,
    heartbeat = 20,
    createSocket = (address) => new WebSocket(address),
  } = {}) {
    super();
    this.url = url ?? defaultSocketUrl();
    this.skus = skus;
    this.backoff = { ...DEFAULT_BACKOFF, ...backoff };
    this.heartbeat = heartbeat;
    this.createSocket = createSocket;
    this.user = null;
    /** Last seq seen per sku; insertion order is least to most recently changed. */
    this._seqs = new Map();
    this._socket = null;
    this._state = "stopped";
    this._attempt = 0;
    this._retryTimer = null;
    this._idleTimer = null;
    this._subscribed = false;
    this._onOnline = () => this._reconnectNow();
    this._onOffline = () => this._goOffline();
    this._onVisible = () => {
      if (document.visibilityState === "visible" && this._state === "reconnecting") {
        this._reconnectNow();
      }
    };
  }

  /** The connection state: "connecting", "live", "reconnecting", "offline" or "stopped". */
  get state() {
    return this._state;
  }

  /** The last seq seen for `sku`, or undefined when the client knows nothing of it. */
  lastSeq(sku) {
    return this._seqs.get(sku);
  }

  /** Open the connection and keep it open until `stop()`. */
  start() {
    if (this._state !== "stopped") return;
    window.addEventListener("online", this._onOnline);
    window.addEventListener("offline", this._onOffline);
    document.addEventListener("visibilitychange", this._onVisible);
    this._connect();
  }

  /** Close the connection and stop reconnecting. */
  stop() {
    window.removeEventListener("online", this._onOnline);
    window.removeEventListener("offline", this._onOffline);
    document.removeEventListener("visibilitychange", this._onVisible);
    clearTimeout(this._retryTimer);
    this._drop(1000);
    this._setState("stopped");
  }

  /** Send one client message; returns false when the socket is not open. */
  send(message) {
    if (!this._socket || this._socket.readyState !== OPEN) return false;
    this._socket.send(JSON.stringify(message));
    return true;
  }

  _connect() {
    clearTimeout(this._retryTimer);
    if (navigator.onLine === false) {
      this._goOffline();
      return;
    }
    this._setState(this._attempt === 0 && this._seqs.size === 0 ? "connecting" : "reconnecting");
    let socket;
    try {
      socket = this.createSocket(this.url);
    } catch (error) {
      // A malformed URL is a programming error; report it and do not hammer.
      console.warn("stockwatch: cannot open socket", error);
      this._scheduleRetry();
      return;
    }
    this._socket = socket;
    this._subscribed = false;
    socket.addEventListener("open", () => {
      if (socket === this._socket) this._armIdleTimer();
    });
    socket.addEventListener("message", (event) => {
      if (socket === this._socket) this._receive(event.data);
    });
    socket.addEventListener("close", () => {
      if (socket !== this._socket) return;
      this._socket = null;
      this._subscribed = false;
      clearTimeout(this._idleTimer);
      if (this._state !== "stopped" && this._state !== "offline") this._scheduleRetry();
    });
    // An "error" event is always followed by "close", which does the work.
  }

  _receive(text) {
    this._armIdleTimer();
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      console.warn("stockwatch: ignoring a frame that is not JSON");
      return;
    }
    switch (frame.type) {
      case "welcome":
        this.user = frame.user ?? null;
        if (Number.isFinite(frame.heartbeat) && frame.heartbeat > 0) this.heartbeat = frame.heartbeat;
        this._emit("welcome", frame);
        this.send(this._subscribeMessage());
        break;
      case "subscribed":
        this._onSubscribed(frame);
        break;
      case "stock":
        this._applyStock(frame, false);
        break;
      case "alert":
        this._emit("alert", { frame });
        break;
      case "error":
        this._emit("error", { frame });
        break;
      default:
        // pong, unsubscribed and frame types added by later protocol versions.
        break;
    }
  }

  _subscribeMessage() {
    const message = { type: "subscribe", skus: this.skus };
    const since = this._sinceMap();
    if (since) message.since = since;
    return message;
  }

  /** The `since` map, trimmed to the most recently changed skus when it would be too large. */
  _sinceMap() {
    if (this._seqs.size === 0) return null;
    const entries = [...this._seqs];
    let size = 2;
    let first = entries.length;
    while (first > 0) {
      const [sku, seq] = entries[first - 1];
      size += sku.length + String(seq).length + 4;
      if (size > SINCE_BUDGET_CHARS) break;
      first -= 1;
    }
    return Object.fromEntries(entries.slice(first));
  }

  _onSubscribed(frame) {
    // Without `since` (first connect) or when the server lost the gap, the snapshot is the truth.
    const reset = frame.recovered !== true;
    for (const missed of frame.missed ?? []) this._applyStock(missed, true);
    const products = frame.snapshot ?? [];
    if (reset) {
      if (this.skus === "*") this._seqs.clear();
      for (const product of products) this._seqs.set(product.sku, product.seq);
    } else {
      for (const product of products) {
        const known = this._seqs.get(product.sku);
        if (known === undefined || product.seq > known) this._remember(product.sku, product.seq);
      }
    }
    if (this.skus === "*") {
      const present = new Set(products.map((product) => product.sku));
      for (const sku of this._seqs.keys()) if (!present.has(sku)) this._seqs.delete(sku);
    }
    this._subscribed = true;
    this._attempt = 0;
    this._setState("live");
    this._emit("snapshot", { products, recovered: frame.recovered === true, reset });
  }

  _applyStock(frame, replayed) {
    const known = this._seqs.get(frame.sku);
    if (known !== undefined && !(frame.seq > known)) return;
    this._remember(frame.sku, frame.seq);
    this._emit("stock", { frame, replayed });
  }

  _remember(sku, seq) {
    // Re-inserting moves the sku to the end: the most recently changed come last.
    this._seqs.delete(sku);
    this._seqs.set(sku, seq);
  }

  _armIdleTimer() {
    clearTimeout(this._idleTimer);
    const quiet = this.heartbeat * 1000;
    this._idleTimer = setTimeout(() => {
      // Nothing heard for a heartbeat: ask, and give the server as long again to answer.
      this.send({ type: "ping" });
      this._idleTimer = setTimeout(() => this._drop(4000, true), quiet);
    }, quiet);
  }

  /** Close the current socket; with `retry`, go on as if the server had closed it. */
  _drop(code, retry = false) {
    clearTimeout(this._idleTimer);
    const socket = this._socket;
    this._socket = null;
    this._subscribed = false;
    if (socket) {
      try {
        socket.close(code);
      } catch {
        socket.close();
      }
    }
    if (retry) this._scheduleRetry();
  }

  _scheduleRetry() {
    clearTimeout(this._retryTimer);
    if (navigator.onLine === false) {
      this._goOffline();
      return;
    }
    const delay = backoffDelay(this._attempt, this.backoff);
    this._attempt += 1;
    this._setState("reconnecting", delay);
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  _reconnectNow() {
    if (this._state === "stopped" || this._socket) return;
    this._attempt = 0;
    this._connect();
  }

  _goOffline() {
    if (this._state === "stopped") return;
    clearTimeout(this._retryTimer);
    this._drop(1000);
    this._setState("offline");
  }

  _setState(state, delay = 0) {
    const changed = state !== this._state;
    this._state = state;
    if (changed || state === "reconnecting") {
      this._emit("state", { state, attempt: this._attempt, delay });
    }
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
