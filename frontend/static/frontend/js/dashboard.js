/**
 * dashboard.js — the live stock page: wires the socket client to the table, the toasts, the
 * shopper's alerts and the staff controls. All server data comes from the `dashboard-config`
 * JSON script and from the API and socket; the DOM is written with textContent only.
 */

import { StockwatchClient, defaultSocketUrl } from "./stockwatch-client.js";
import { Api } from "./api.js";
import { ProductTable } from "./product-table.js";
import { Toaster } from "./toasts.js";
import { ShopperAlerts } from "./alerts.js";
import { StaffControls } from "./staff.js";
import { formatCount } from "./format.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const $ = (id) => document.getElementById(id);

const HISTORY_CONCURRENCY = 4;
const TIME_REFRESH_MS = 30_000;
const SEARCH_DEBOUNCE_MS = 120;
const RESTOCK_GATHER_MS = 300;
const STATE_WORDS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  stopped: "Offline",
};

const api = new Api({ root: config.apiRoot, csrfToken: config.csrfToken });
const toaster = new Toaster({ container: $("toasts"), announcer: $("announcer"), errorAnnouncer: $("error-announcer") });

const staff = config.canChangeStock
  ? new StaffControls({
      api,
      toaster,
      template: $("staff-template"),
      dialog: {
        element: $("stock-dialog"),
        form: $("stock-dialog-form"),
        input: $("stock-dialog-value"),
        product: $("stock-dialog-product"),
        error: $("stock-dialog-error"),
        cancel: $("stock-dialog-cancel"),
      },
    })
  : null;

const alerts = config.user
  ? new ShopperAlerts({
      api,
      toaster,
      available: config.features.alerts,
      elements: {
        dialog: $("alerts-dialog"),
        list: $("alert-list"),
        empty: $("alerts-empty"),
        error: $("alerts-error"),
        open: $("alerts-open"),
        close: $("alerts-close"),
        count: $("alerts-count"),
        enableNotifications: $("notifications-enable"),
      },
    })
  : null;

const notifyTemplate = $("notify-template");

/** What each row's last cell holds: staff controls, a shopper's alert button, or a sign-in link. */
const actions = {
  key(product) {
    if (staff) return staff.actionsKey(product);
    if (alerts) return alerts.actionsKey(product);
    return product.status === "out" ? "out:anonymous" : "";
  },
  build(product, cell) {
    if (staff) staff.buildActions(product, cell);
    else if (alerts) alerts.buildActions(product, cell, notifyTemplate);
    else if (product.status === "out") {
      const link = document.createElement("a");
      link.className = "button button-small";
      link.href = `${config.loginUrl}?next=${encodeURIComponent(location.pathname)}`;
      link.textContent = "Notify me";
      link.setAttribute("aria-label", `Notify me when ${product.name} is back (sign in first)`);
      cell.append(link);
    }
  },
};

const table = new ProductTable({
  tbody: $("product-rows"),
  rowTemplate: $("row-template"),
  lowStock: config.lowStock,
  historyLimit: config.historyLimit,
  actions,
  onRender: renderSummary,
  onVisible: requestHistory,
});
staff?.attach(table);
alerts?.attach(table);

// -- summary, search and filter -----------------------------------------------------------

let loaded = false;

let lastRender = null;

function plural(count, word) {
  return `${formatCount(count)} ${word}${count === 1 ? "" : "s"}`;
}

function renderSummary(render) {
  lastRender = render;
  const { counts, shown, filter } = render;
  for (const element of document.querySelectorAll("[data-count]")) {
    const text = formatCount(counts[element.dataset.count]);
    if (element.textContent !== text) element.textContent = text;
  }
  if (!loaded) return;
  const total = counts.all;
  const filtered = filter.query || filter.status !== "all";
  const freshness = client.state === "live" ? "updated live" : "last known stock";
  $("summary").textContent = filtered
    ? `Showing ${formatCount(shown)} of ${plural(total, "product")} · ${freshness}`
    : `${plural(total, "product")} · ${freshness}`;
  const empty = $("empty");
  empty.hidden = shown > 0;
  empty.textContent = total === 0 ? "No products yet." : "No products match your search.";
}

let searchTimer = 0;
$("search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => table.setFilter({ query: event.target.value }), SEARCH_DEBOUNCE_MS);
});
for (const radio of document.querySelectorAll('input[name="status"]')) {
  radio.addEventListener("change", () => table.setFilter({ status: radio.value }));
}

// -- row controls ---------------------------------------------------------------------------

const rows = $("product-rows");
rows.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const sku = button.closest("[data-sku]")?.dataset.sku;
  if (!sku) return;
  if (button.classList.contains("notify-button")) alerts?.arm(sku);
  else if (button.classList.contains("cancel-alert")) alerts?.cancel(sku);
  else if (button.classList.contains("set-stock")) staff?.openSetStock(sku);
});
rows.addEventListener("submit", (event) => {
  const form = event.target.closest(".restock-form");
  if (!form) return;
  event.preventDefault();
  staff?.restock(form.closest("[data-sku]").dataset.sku, form);
});

// -- sparkline history, fetched for rows as they scroll into view ---------------------------

const historyQueue = [];
let historyActive = 0;
let historyWarned = false;

function requestHistory(product) {
  if (!config.features.history || product.historyRequested) return;
  product.historyRequested = true;
  historyQueue.push(product.sku);
  pumpHistory();
}

function pumpHistory() {
  // Only while live: during an outage the requests could only fail.
  while (client.state === "live" && historyActive < HISTORY_CONCURRENCY && historyQueue.length) {
    const sku = historyQueue.shift();
    historyActive += 1;
    api
      .history(sku, config.historyLimit)
      .then((data) => table.setHistory(sku, data?.events ?? []))
      .catch((error) => {
        if (error.status === 0) {
          historyQueue.push(sku); // unreachable: try again once the connection is back
          return;
        }
        // The sparkline falls back to the levels seen live; one note is enough.
        if (!historyWarned) console.warn("stockwatch: stock history unavailable:", error.message);
        historyWarned = true;
      })
      .finally(() => {
        historyActive -= 1;
        pumpHistory();
      });
  }
}

// -- restock toasts, gathered so a burst reads as one message -------------------------------

let restocked = [];
let restockTimer = 0;

function noteRestock(frame) {
  restocked.push(frame);
  if (!restockTimer) restockTimer = setTimeout(showRestocks, RESTOCK_GATHER_MS);
}

function showRestocks() {
  const frames = restocked;
  restocked = [];
  restockTimer = 0;
  if (frames.length <= 2) {
    for (const frame of frames) {
      toaster.show({ title: `${frame.name} is back in stock`, body: `${frame.stock} available (${frame.sku}).`, kind: "success" });
    }
    return;
  }
  const names = frames.slice(0, 3).map((frame) => frame.name).join(", ");
  const more = frames.length - 3;
  toaster.show({
    title: `${frames.length} products are back in stock`,
    body: more > 0 ? `${names} and ${more} more.` : `${names}.`,
    kind: "success",
  });
}

// -- connection ------------------------------------------------------------------------------

const status = $("connection-status");
const detail = $("connection-detail");
const connection = status.closest(".connection");

const client = new StockwatchClient({ url: defaultSocketUrl(config.socketPath) });

client.addEventListener("state", (event) => {
  const { state, delay } = event.detail;
  const words = STATE_WORDS[state] ?? state;
  if (status.textContent !== words) status.textContent = words;
  connection.dataset.state = state;
  document.body.classList.toggle("is-stale", loaded && state !== "live");
  if (state === "reconnecting") {
    detail.textContent = `Showing last known stock · retrying in ${Math.max(1, Math.round(delay / 1000))} s`;
  } else if (state === "offline") {
    detail.textContent = "You are offline · showing last known stock";
  } else {
    detail.textContent = "";
  }
  if (state === "live") pumpHistory();
  if (lastRender) renderSummary(lastRender);
});

client.addEventListener("snapshot", (event) => {
  const { products, reset } = event.detail;
  const initial = !loaded;
  loaded = true;
  table.applySnapshot(products, { reset, initial });
  if (initial) alerts?.load();
});

client.addEventListener("stock", (event) => {
  const { frame } = event.detail;
  table.applyFrame(frame);
  if (frame.event === "restock") noteRestock(frame);
});

client.addEventListener("alert", (event) => alerts?.onAlertFrame(event.detail.frame));

client.addEventListener("error", (event) => {
  const { frame } = event.detail;
  console.warn("stockwatch: server reported", frame.code, frame.message);
  toaster.error("Live updates hit a problem", frame.message || frame.code);
});

setInterval(() => table.refreshTimes(), TIME_REFRESH_MS);
client.start();

// Exposed for integrators and for debugging from the console.
window.stockwatch = { client, table };
