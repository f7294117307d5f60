/**
 * product-table.js — the live product table: one row per sku, updated in place.
 *
 * Changes are recorded at once but written to the DOM in one batch per animation frame (with a
 * timer as a fallback, since hidden tabs get no frames), so a burst of events over thousands
 * of rows costs one layout, not one per event.
 */

import { drawSparkline } from "./sparkline.js";
import { formatRelative } from "./format.js";

export const STATUS_LABELS = Object.freeze({ in: "In stock", low: "Low stock", out: "Sold out" });
const FALLBACK_FLUSH_MS = 250;

/** "out" at 0, "low" under the threshold, else "in". */
export function stockStatus(stock, lowStock) {
  if (stock <= 0) return "out";
  return stock < lowStock ? "low" : "in";
}

export class ProductTable {
  /**
   * @param {object} options
   * @param {HTMLTableSectionElement} options.tbody where rows go, ordered by sku.
   * @param {HTMLTemplateElement} options.rowTemplate one row's markup.
   * @param {number} options.lowStock stock under this is "Low stock".
   * @param {number} options.historyLimit points kept per sparkline.
   * @param {{key: function, build: function}} options.actions what a row's action cell holds:
   *   `key(product)` names the content, `build(product, cell)` fills the cell when it changes.
   * @param {function} [options.onRender] called after each batch with the counts.
   * @param {function} [options.onVisible] called with a product whose row scrolled into view.
   */
  constructor({ tbody, rowTemplate, lowStock, historyLimit, actions, onRender, onVisible }) {
    this.tbody = tbody;
    this.rowTemplate = rowTemplate;
    this.lowStock = lowStock;
    this.historyLimit = historyLimit;
    this.actions = actions;
    this.onRender = onRender ?? (() => {});
    this.onVisible = onVisible ?? (() => {});
    /** @type {Map<string, object>} */
    this.products = new Map();
    this.order = [];
    this.counts = { all: 0, in: 0, low: 0, out: 0 };
    this.filter = { query: "", status: "all" };
    this.shown = 0;
    this._dirty = new Set();
    this._removed = [];
    this._refilter = false;
    this._frame = 0;
    this._timer = 0;
    this._observer =
      "IntersectionObserver" in window
        ? new IntersectionObserver((entries) => this._onIntersect(entries), { rootMargin: "200px" })
        : null;
  }

  get(sku) {
    return this.products.get(sku);
  }

  /** Take a snapshot: add and update products; on `reset`, drop those it does not list. */
  applySnapshot(products, { reset, initial = false }) {
    const present = new Set();
    for (const data of products) {
      present.add(data.sku);
      this.applyProduct(data, { flash: !initial });
    }
    if (reset) {
      for (const sku of this.products.keys()) if (!present.has(sku)) this._remove(sku);
    }
    // Even an empty or unchanged snapshot is news: the summary leaves "Loading…".
    this._schedule();
  }

  /** Apply a PRODUCT object if it is newer than what the row shows. */
  applyProduct(data, { flash = true } = {}) {
    const product = this.products.get(data.sku);
    if (!product) {
      this._add(data);
      return;
    }
    if (data.seq < product.seq) return;
    if (data.seq === product.seq && data.stock === product.stock && data.name === product.name) return;
    this._update(product, {
      name: data.name,
      stock: data.stock,
      seq: data.seq,
      at: data.updated_at,
      flash,
    });
  }

  /** Apply one stock frame (already filtered for order by the client). */
  applyFrame(frame) {
    const product = this.products.get(frame.sku);
    if (!product) {
      this._add({ sku: frame.sku, name: frame.name, stock: frame.stock, seq: frame.seq, updated_at: frame.at });
      return;
    }
    this._addHistory(product, [{ seq: frame.seq, stock: frame.stock }]);
    if (frame.seq <= product.seq) {
      // The HTTP answer to this page's own change got here first; only the history was new.
      this._markDirty(product);
      return;
    }
    this._update(product, { name: frame.name, stock: frame.stock, seq: frame.seq, at: frame.at, flash: true });
  }

  /** Merge fetched STOCK frames (oldest first) into a product's sparkline. */
  setHistory(sku, frames) {
    const product = this.products.get(sku);
    if (!product) return;
    product.historyLoaded = true;
    this._addHistory(
      product,
      frames.map((frame) => ({ seq: frame.seq, stock: frame.stock })),
    );
    this._markDirty(product);
  }

  /** Rebuild one row's action cell (e.g. after an alert was armed). */
  refreshActions(sku) {
    const product = this.products.get(sku);
    if (!product) return;
    product.actionsKey = null;
    this._markDirty(product);
  }

  /** Re-check every row's action cell; only cells whose content key changed are rebuilt. */
  refreshAllActions() {
    // Rebuilding them all would wipe what staff are typing into a restock field.
    for (const product of this.products.values()) this._dirty.add(product.sku);
    this._schedule();
  }

  setFilter({ query = this.filter.query, status = this.filter.status }) {
    this.filter = { query: query.trim().toLowerCase(), status };
    this._refilter = true;
    this._schedule();
  }

  /** Refresh the "last change" times, which age without any event. */
  refreshTimes(now = Date.now()) {
    for (const product of this.products.values()) {
      const text = formatRelative(product.updatedAt, now);
      if (product.els.time.textContent !== text) product.els.time.textContent = text;
    }
  }

  _add(data) {
    const row = this.rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.sku = data.sku;
    const product = {
      sku: data.sku,
      name: data.name,
      stock: data.stock,
      seq: data.seq,
      updatedAt: Date.parse(data.updated_at),
      updatedIso: data.updated_at,
      status: stockStatus(data.stock, this.lowStock),
      history: [{ seq: data.seq, stock: data.stock }],
      historyLoaded: false,
      historyRequested: false,
      flash: null,
      flashToggle: false,
      actionsKey: null,
      visible: true,
      placed: false,
      row,
      els: {
        name: row.querySelector('[data-field="name"]'),
        sku: row.querySelector('[data-field="sku"]'),
        status: row.querySelector('[data-field="status"]'),
        stock: row.querySelector('[data-field="stock"]'),
        trend: row.querySelector('[data-field="trend"]'),
        time: row.querySelector('[data-field="updated"]'),
        actions: row.querySelector('[data-field="actions"]'),
      },
    };
    product.els.sku.textContent = data.sku;
    this.products.set(data.sku, product);
    this.counts.all += 1;
    this.counts[product.status] += 1;
    this._markDirty(product);
  }

  _remove(sku) {
    const product = this.products.get(sku);
    if (!product) return;
    this.products.delete(sku);
    this.counts.all -= 1;
    this.counts[product.status] -= 1;
    this._dirty.delete(sku);
    this._removed.push(product);
    this._schedule();
  }

  _update(product, { name, stock, seq, at, flash }) {
    if (flash && stock !== product.stock) product.flash = stock > product.stock ? "up" : "down";
    const status = stockStatus(stock, this.lowStock);
    if (status !== product.status) {
      this.counts[product.status] -= 1;
      this.counts[status] += 1;
      product.status = status;
    }
    product.name = name ?? product.name;
    product.stock = stock;
    product.seq = seq;
    if (at) {
      product.updatedAt = Date.parse(at);
      product.updatedIso = at;
    }
    this._addHistory(product, [{ seq, stock }]);
    this._markDirty(product);
  }

  _addHistory(product, points) {
    const bySeq = new Map(product.history.map((point) => [point.seq, point]));
    for (const point of points) bySeq.set(point.seq, point);
    product.history = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-this.historyLimit);
  }

  _markDirty(product) {
    this._dirty.add(product.sku);
    this._schedule();
  }

  _schedule() {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => this.flush());
    this._timer = setTimeout(() => this.flush(), FALLBACK_FLUSH_MS);
  }

  /** Write every pending change to the DOM now. */
  flush() {
    cancelAnimationFrame(this._frame);
    clearTimeout(this._timer);
    this._frame = 0;
    this._timer = 0;
    for (const product of this._removed) {
      this._observer?.unobserve(product.row);
      product.row.remove();
      const index = this._indexOf(product.sku);
      if (this.order[index] === product.sku) this.order.splice(index, 1);
    }
    this._removed = [];
    const fresh = [];
    for (const sku of this._dirty) {
      const product = this.products.get(sku);
      if (!product) continue;
      this._renderRow(product);
      if (!product.placed) fresh.push(product);
    }
    this._dirty.clear();
    if (fresh.length) this._place(fresh);
    if (this._refilter) {
      this._refilter = false;
      for (const product of this.products.values()) this._applyVisibility(product);
    }
    this.shown = 0;
    for (const product of this.products.values()) if (product.visible) this.shown += 1;
    this.onRender({ counts: { ...this.counts }, shown: this.shown, filter: this.filter });
  }

  _renderRow(product) {
    const { els, row } = product;
    if (els.name.textContent !== product.name) els.name.textContent = product.name;
    const stockText = String(product.stock);
    if (els.stock.textContent !== stockText) els.stock.textContent = stockText;
    if (row.dataset.status !== product.status) {
      row.dataset.status = product.status;
      els.status.textContent = STATUS_LABELS[product.status];
      els.status.dataset.status = product.status;
    }
    if (els.time.dateTime !== product.updatedIso) {
      els.time.dateTime = product.updatedIso;
      els.time.title = new Date(product.updatedAt).toLocaleString();
    }
    els.time.textContent = formatRelative(product.updatedAt);
    drawSparkline(els.trend, product.history);
    const key = this.actions.key(product);
    if (key !== product.actionsKey) {
      product.actionsKey = key;
      els.actions.replaceChildren();
      this.actions.build(product, els.actions);
    }
    if (product.flash) {
      product.flashToggle = !product.flashToggle;
      row.dataset.flash = `${product.flash}${product.flashToggle ? 1 : 2}`;
      product.flash = null;
    }
    this._applyVisibility(product);
  }

  _applyVisibility(product) {
    const { query, status } = this.filter;
    const visible =
      (status === "all" || status === product.status) &&
      (!query || product.sku.toLowerCase().includes(query) || product.name.toLowerCase().includes(query));
    if (visible !== product.visible || product.row.hidden === visible) {
      product.visible = visible;
      product.row.hidden = !visible;
    }
  }

  /** Insert new rows in sku order; a whole first snapshot goes in as one fragment. */
  _place(fresh) {
    fresh.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
    if (this.order.length === 0) {
      const fragment = document.createDocumentFragment();
      for (const product of fresh) {
        fragment.append(product.row);
        this.order.push(product.sku);
        product.placed = true;
      }
      this.tbody.append(fragment);
    } else {
      for (const product of fresh) {
        const index = this._indexOf(product.sku);
        const next = this.order[index];
        this.order.splice(index, 0, product.sku);
        const before = next === undefined ? null : this.products.get(next)?.row ?? null;
        this.tbody.insertBefore(product.row, before);
        product.placed = true;
      }
    }
    for (const product of fresh) this._observer?.observe(product.row);
  }

  /** The index of the first sku in `order` not below `sku` (binary search, ASCII order). */
  _indexOf(sku) {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.order[middle] < sku) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  _onIntersect(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const product = this.products.get(entry.target.dataset.sku);
      if (product) this.onVisible(product);
    }
  }
}
