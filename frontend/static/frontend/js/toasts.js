/**
 * toasts.js — short-lived messages in the corner, and the screen-reader announcements.
 *
 * Toasts are not live regions themselves: what a screen reader should hear goes through one
 * polite region (restocks, alerts) or one alert region (errors), so nothing is read twice.
 */

const VISIBLE_MAX = 4;
const LIFETIME_MS = { info: 6000, success: 6000, alert: 12000, error: 10000 };
const ANNOUNCE_GATHER_MS = 400;

export class Toaster {
  /**
   * @param {object} options
   * @param {HTMLElement} options.container where toasts stack.
   * @param {HTMLElement} options.announcer an `aria-live="polite"` element.
   * @param {HTMLElement} options.errorAnnouncer a `role="alert"` element.
   */
  constructor({ container, announcer, errorAnnouncer }) {
    this.container = container;
    this.announcer = announcer;
    this.errorAnnouncer = errorAnnouncer;
    this._pending = [];
    this._announceTimer = 0;
  }

  /**
   * Show a toast. `kind` is "info", "success", "alert" or "error".
   * Returns the toast element; `onDismiss` runs when the person closes it.
   */
  show({ title, body = "", kind = "info", announce = true, onDismiss }) {
    const toast = document.createElement("div");
    toast.className = `toast toast-${kind}`;
    const text = document.createElement("div");
    text.className = "toast-text";
    const heading = document.createElement("p");
    heading.className = "toast-title";
    heading.textContent = title;
    text.append(heading);
    if (body) {
      const detail = document.createElement("p");
      detail.className = "toast-body";
      detail.textContent = body;
      text.append(detail);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", `Dismiss: ${title}`);
    close.textContent = "×";
    toast.append(text, close);

    let timer = 0;
    const dismiss = (byPerson) => {
      clearTimeout(timer);
      toast.remove();
      if (byPerson && onDismiss) onDismiss();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => dismiss(false), LIFETIME_MS[kind] ?? LIFETIME_MS.info);
    };
    close.addEventListener("click", () => dismiss(true));
    // Hovering or focusing a toast keeps it until the person is done with it.
    toast.addEventListener("mouseenter", () => clearTimeout(timer));
    toast.addEventListener("mouseleave", arm);
    toast.addEventListener("focusin", () => clearTimeout(timer));
    toast.addEventListener("focusout", arm);
    arm();

    this.container.append(toast);
    while (this.container.childElementCount > VISIBLE_MAX) this.container.firstElementChild.remove();
    if (announce) this.announce(body ? `${title}. ${body}` : title, { error: kind === "error" });
    return toast;
  }

  error(title, body) {
    return this.show({ title, body, kind: "error" });
  }

  /** Say `message` to screen readers; messages close together are read as one. */
  announce(message, { error = false } = {}) {
    if (error) {
      this.errorAnnouncer.textContent = message;
      return;
    }
    this._pending.push(message);
    if (this._announceTimer) return;
    this._announceTimer = setTimeout(() => {
      const messages = this._pending.splice(0);
      this._announceTimer = 0;
      const shown = messages.slice(-3);
      const more = messages.length - shown.length;
      this.announcer.textContent =
        shown.join(" ") + (more > 0 ? ` And ${more} more update${more === 1 ? "" : "s"}.` : "");
    }, ANNOUNCE_GATHER_MS);
  }
}
