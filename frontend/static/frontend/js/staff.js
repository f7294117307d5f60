/**
 * staff.js — restock and set-stock controls for staff with the `inventory.change_product`
 * permission. The server checks the permission again on every call; this only draws controls.
 */

export class StaffControls {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {import("./toasts.js").Toaster} options.toaster
   * @param {HTMLTemplateElement} options.template the per-row controls.
   * @param {object} options.dialog the set-stock dialog and its parts.
   */
  constructor({ api, toaster, template, dialog }) {
    this.api = api;
    this.toaster = toaster;
    this.template = template;
    this.dialog = dialog;
    this.table = null;
    this._dialogSku = null;
    dialog.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this._saveStock();
    });
    dialog.cancel.addEventListener("click", () => dialog.element.close());
  }

  attach(table) {
    this.table = table;
  }

  actionsKey(product) {
    return `staff:${product.name}`;
  }

  buildActions(product, cell) {
    const fragment = this.template.content.cloneNode(true);
    const form = fragment.querySelector("form");
    const input = form.querySelector(".qty");
    const restock = form.querySelector('button[type="submit"]');
    const set = form.querySelector(".set-stock");
    input.id = `qty-${product.sku}`;
    input.setAttribute("aria-label", `Quantity to restock ${product.name}`);
    restock.setAttribute("aria-label", `Restock ${product.name}`);
    set.setAttribute("aria-label", `Set stock of ${product.name}`);
    cell.append(fragment);
  }

  /** A row's restock form was submitted. */
  async restock(sku, form) {
    const input = form.querySelector(".qty");
    const button = form.querySelector('button[type="submit"]');
    const quantity = Number(input.value);
    const name = this.table.get(sku)?.name ?? sku;
    if (!Number.isInteger(quantity) || quantity < 1) {
      input.setAttribute("aria-invalid", "true");
      this.toaster.error(`Could not restock ${name}`, "Enter a whole number of at least 1.");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    button.disabled = true;
    try {
      const product = await this.api.restock(sku, quantity);
      if (product) this.table.applyProduct(product);
      this.toaster.show({ title: `Restocked ${name}`, body: `Added ${quantity}; now ${product?.stock ?? "updated"}.`, kind: "success" });
    } catch (error) {
      this.toaster.error(`Could not restock ${name}`, error.message);
    } finally {
      button.disabled = false;
    }
  }

  openSetStock(sku) {
    const product = this.table.get(sku);
    if (!product) return;
    this._dialogSku = sku;
    this.dialog.product.textContent = `${product.name} (${product.sku}) · now ${product.stock}`;
    this.dialog.input.value = String(product.stock);
    this.dialog.input.removeAttribute("aria-invalid");
    this._dialogError("");
    this.dialog.element.showModal();
    this.dialog.input.select();
  }

  async _saveStock() {
    const sku = this._dialogSku;
    const stock = Number(this.dialog.input.value);
    if (this.dialog.input.value.trim() === "" || !Number.isInteger(stock) || stock < 0) {
      this.dialog.input.setAttribute("aria-invalid", "true");
      this._dialogError("Enter a whole number of 0 or more.");
      return;
    }
    const submit = this.dialog.form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const product = await this.api.setStock(sku, stock);
      if (product) this.table.applyProduct(product);
      this.dialog.element.close();
      const name = this.table.get(sku)?.name ?? sku;
      this.toaster.show({ title: `Stock of ${name} set to ${stock}`, kind: "success" });
    } catch (error) {
      this._dialogError(error.message);
    } finally {
      submit.disabled = false;
    }
  }

  _dialogError(message) {
    this.dialog.error.hidden = !message;
    this.dialog.error.textContent = message;
  }
}
