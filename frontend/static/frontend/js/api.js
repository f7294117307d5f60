/**
 * api.js — calls to the stockwatch HTTP API from the page, with the session's CSRF token.
 *
 * Every failure becomes an `ApiError` whose `message` a person can read: the server's own
 * `{"error": {"code", "message"}}` when it sent one, else a sentence about the status.
 */

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

const STATUS_MESSAGES = {
  401: "Please sign in first.",
  403: "You are not allowed to do that.",
  404: "That is not available on this server.",
  405: "The server does not accept that request.",
  413: "That request is too large.",
  429: "Too many changes at once; wait a moment and try again.",
};

export class Api {
  /**
   * @param {object} options
   * @param {string} options.root the API's URL prefix, e.g. "/api/".
   * @param {string} options.csrfToken the session's CSRF token, sent on unsafe methods.
   */
  constructor({ root, csrfToken }) {
    this.root = root.endsWith("/") ? root : `${root}/`;
    this.csrfToken = csrfToken;
  }

  productPath(sku, tail = "") {
    return `products/${encodeURIComponent(sku)}/${tail}`;
  }

  /** Send one request; resolves to the parsed JSON body (null for 204), rejects with ApiError. */
  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (!["GET", "HEAD"].includes(method)) headers["X-CSRFToken"] = this.csrfToken;
    let response;
    try {
      response = await fetch(this.root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError("The server could not be reached. Check the connection and try again.");
    }
    const data = await readJson(response);
    if (response.ok) return data;
    const error = data && typeof data === "object" ? data.error : null;
    if (error && typeof error.message === "string" && error.message) {
      const sentence = error.message[0].toUpperCase() + error.message.slice(1);
      throw new ApiError(sentence, { status: response.status, code: error.code ?? "error" });
    }
    const fallback = STATUS_MESSAGES[response.status] ?? `The server answered ${response.status}.`;
    throw new ApiError(fallback, { status: response.status, code: response.status === 404 ? "missing" : "error" });
  }

  restock(sku, quantity) {
    return this.request("POST", this.productPath(sku, "restock"), { quantity });
  }

  setStock(sku, stock) {
    return this.request("PUT", this.productPath(sku, "stock"), { stock });
  }

  history(sku, limit) {
    return this.request("GET", `${this.productPath(sku, "events")}?limit=${limit}`);
  }

  alerts() {
    return this.request("GET", "alerts/");
  }

  armAlert(sku) {
    return this.request("POST", this.productPath(sku, "alert"));
  }

  cancelAlert(sku) {
    return this.request("DELETE", this.productPath(sku, "alert"));
  }
}

async function readJson(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}
