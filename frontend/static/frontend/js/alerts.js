/**
 * alerts.js — a signed-in shopper's back-in-stock alerts: "Notify me", "My alerts", and what
 * happens when an `alert` frame arrives (toast, tab title count, browser notification).
 */

import { formatRelative } from "./format.js";

const UNAVAILABLE = "Back-in-stock alerts are not available on this server yet.";

export class ShopperAlerts {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {import("./product-table.js").ProductTable} options.table set later with `attach`.
   * @param {import("./toasts.js").Toaster} options.toaster
   * @param {boolean} options.available whether this server has the alerts API.
   * @param {object} options.elements the dialog and its parts, and the header button.
   */
  constructor({ api, toaster, available, elements }) {
    this.api = api;
    this.toaster = toaster;
    this.available = available;
    this.el = elements;
    this.table = null;
    /** @type {Map<string, object>} ALERT objects by sku. */
    this.alerts = new Map();
    this.busy = new Set();
    this.unseen = 0;
    this.baseTitle = document.title;
    this.el.open.addEventListener("click", () => this.openDialog());
    this.el.close.addEventListener("click", () => this.el.dialog.close());
    this.el.list.addEventListener("click", (event) => this._onListClick(event));
    this.el.enableNotifications.addEventListener("click", () => this._askPermission());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.el.dialog.open) this._markSeen();
    });
  }

  attach(table) {
    this.table = table;
  }

  isArmed(sku) {
    return this.alerts.get(sku)?.status === "armed";
  }

  /** The action cell's content key for a product (see ProductTable's `actions`). */
  actionsKey(product) {
    if (product.status !== "out") return "";
    if (this.busy.has(product.sku)) return "out:busy";
    return this.isArmed(product.sku) ? "out:armed" : "out:idle";
  }

  buildActions(product, cell, notifyTemplate) {
    if (product.status !== "out") return;
    if (this.isArmed(product.sku) && !this.busy.has(product.sku)) {
      const wrap = document.createElement("span");
      wrap.className = "notify notify-armed";
      const note = document.createElement("span");
      note.className = "armed-note";
      note.textContent = "✓ Alert on";
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "button button-small button-quiet cancel-alert";
      cancel.textContent = "Cancel";
      cancel.setAttribute("aria-label", `Cancel alert for ${product.name}`);
      wrap.append(note, cancel);
      cell.append(wrap);
      return;
    }
    const fragment = notifyTemplate.content.cloneNode(true);
    const button = fragment.querySelector(".notify-button");
    button.setAttribute("aria-label", `Notify me when ${product.name} is back`);
    if (this.busy.has(product.sku)) {
      button.disabled = true;
      button.textContent = "Saving…";
    }
    cell.append(fragment);
  }

  /** Fetch the shopper's alerts, so rows show which are armed. */
  async load() {
    if (!this.available) {
      this._showListError(UNAVAILABLE);
      return;
    }
    try {
      const data = await this.api.alerts();
      this.alerts = new Map((data?.alerts ?? []).map((alert) => [alert.sku, alert]));
      this._showListError("");
    } catch (error) {
      this._showListError(this._message(error, "Your alerts could not be loaded"));
    }
    this._renderList();
    this.table?.refreshAllActions();
  }

  async arm(sku) {
    await this._change(sku, "arm");
  }

  async cancel(sku) {
    await this._change(sku, "cancel");
  }

  async _change(sku, action) {
    if (this.busy.has(sku)) return;
    const name = this.table?.get(sku)?.name ?? sku;
    this.busy.add(sku);
    this.table?.refreshActions(sku);
    try {
      if (action === "arm") {
        const alert = await this.api.armAlert(sku);
        this.alerts.set(sku, alert ?? { sku, status: "armed", created_at: new Date().toISOString(), notified_at: null });
        this.toaster.show({ title: `We'll tell you when ${name} is back`, kind: "success" });
      } else {
        await this.api.cancelAlert(sku);
        this.alerts.delete(sku);
        this.toaster.show({ title: `Alert for ${name} cancelled`, kind: "info" });
      }
    } catch (error) {
      const doing = action === "arm" ? `Could not set an alert for ${name}` : `Could not cancel the alert for ${name}`;
      this.toaster.error(doing, this._message(error));
    } finally {
      this.busy.delete(sku);
      this.table?.refreshActions(sku);
      this._renderList();
    }
  }

  /** An `alert` frame: a product this shopper follows is back. */
  onAlertFrame(frame) {
    const name = frame.name ?? frame.sku;
    const message = frame.message || `${name} is back in stock`;
    const existing = this.alerts.get(frame.sku);
    this.alerts.set(frame.sku, {
      ...(existing ?? { sku: frame.sku, created_at: frame.at }),
      status: "notified",
      notified_at: frame.at,
    });
    this.unseen += 1;
    this._renderCount();
    this.toaster.show({
      title: message,
      body: `${frame.stock} available now.`,
      kind: "alert",
      onDismiss: () => this._markSeen(),
    });
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        new Notification("Back in stock", { body: message, tag: `stockwatch-${frame.sku}` });
      } catch (error) {
        // Some browsers only allow notifications from a service worker; the toast is enough.
        console.warn("stockwatch: browser notification not shown", error);
      }
    }
    this.table?.refreshActions(frame.sku);
    this._renderList();
  }

  openDialog() {
    this._renderList();
    this.el.enableNotifications.hidden = !("Notification" in window && Notification.permission === "default");
    this.el.dialog.showModal();
    this._markSeen();
  }

  _markSeen() {
    this.unseen = 0;
    this._renderCount();
  }

  _renderCount() {
    document.title = this.unseen ? `(${this.unseen}) ${this.baseTitle}` : this.baseTitle;
    this.el.count.hidden = this.unseen === 0;
    this.el.count.textContent = String(this.unseen);
    this.el.count.setAttribute("aria-label", `${this.unseen} new`);
  }

  _renderList() {
    const items = [...this.alerts.values()].sort((a, b) => (a.sku < b.sku ? -1 : 1));
    this.el.list.replaceChildren(...items.map((alert) => this._listItem(alert)));
    this.el.empty.hidden = items.length > 0 || !this.available;
  }

  _listItem(alert) {
    const product = this.table?.get(alert.sku);
    const item = document.createElement("li");
    item.className = `alert-item alert-${alert.status}`;
    item.dataset.sku = alert.sku;
    const text = document.createElement("div");
    const name = document.createElement("p");
    name.className = "alert-name";
    name.textContent = product ? `${product.name}` : alert.sku;
    const meta = document.createElement("p");
    meta.className = "alert-meta";
    meta.textContent =
      alert.status === "armed"
        ? `${alert.sku} · waiting for a restock`
        : `${alert.sku} · told you ${formatRelative(Date.parse(alert.notified_at))}`;
    text.append(name, meta);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button button-small button-quiet";
    button.dataset.action = alert.status === "armed" ? "cancel" : "arm";
    button.textContent = alert.status === "armed" ? "Cancel" : "Notify me again";
    button.disabled = this.busy.has(alert.sku);
    item.append(text, button);
    return item;
  }

  _onListClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const sku = button.closest("[data-sku]").dataset.sku;
    if (button.dataset.action === "cancel") this.cancel(sku);
    else this.arm(sku);
  }

  async _askPermission() {
    try {
      const result = await Notification.requestPermission();
      this.el.enableNotifications.hidden = result !== "default";
      if (result === "denied") {
        this.toaster.show({ title: "Browser notifications are blocked", body: "You will still see alerts on this page." });
      }
    } catch (error) {
      console.warn("stockwatch: notification permission not asked", error);
    }
  }

  _showListError(message) {
    this.el.error.hidden = !message;
    this.el.error.textContent = message;
  }

  _message(error, prefix) {
    // Before the alerts API exists, its paths answer 404: say so rather than "not found".
    const missing = error?.code === "missing" || (error?.status === 404 && !this.available);
    const text = missing ? UNAVAILABLE : error?.message ?? String(error);
    return prefix ? `${prefix}: ${text}` : text;
  }
}
