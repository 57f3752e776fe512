// The single wrapper around fetch(): every network call of the front end goes through here.
// Errors come back as ApiError, carrying the server's {code, message, field}.
import { t } from "./i18n.js";
import { csrfToken, pageConfig } from "./page-config.js";

export class ApiError extends Error {
  constructor({ status = 0, code = "unknown", message = "", field = null } = {}) {
    super(message || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }

  get isNetworkError() {
    return this.status === 0;
  }

  get isValidationError() {
    return this.status === 422 || this.status === 400;
  }
}

// The API's URL for `path` with `params` as its query: empty values are left out, lists joined by commas.
export function buildUrl(path, params) {
  const base = (pageConfig().apiBase || "/api/v1").replace(/\/$/, "");
  const url = new URL(`${base}${path}`, globalThis.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    url.searchParams.set(name, Array.isArray(value) ? value.join(",") : String(value));
  }
  return url;
}

// `body`: a plain object goes as JSON; a FormData (files) goes as it is, the browser writing its
// multipart Content-Type and boundary.
export async function request(path, { method = "GET", params, body, signal } = {}) {
  const headers = { Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin", signal };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET") {
    const token = csrfToken();
    if (token) headers["X-CSRFToken"] = token;
  }

  let response;
  try {
    response = await fetch(buildUrl(path, params), options);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError({ status: 0, code: "network", message: t("network") });
  }

  let payload = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      payload = await response.json();
    } catch (error) {
      if (error.name === "AbortError") throw error; // aborted while reading the body
      payload = null;
    }
  }

  if (response.ok && payload === null && response.status !== 204) {
    throw new ApiError({ status: response.status, code: "invalid_response", message: t("server_error") });
  }
  if (!response.ok) {
    const error = payload?.error || {};
    throw new ApiError({
      status: response.status,
      code: error.code || `http_${response.status}`,
      message: error.message || t("server_error"),
      field: error.field ?? null,
    });
  }
  return payload;
}

export const api = {
  themes: () => request("/themes").then((data) => data.themes || []),
  communes: () => request("/communes"),
  reports: (params, options = {}) => request("/reports", { params, ...options }),
  createReport: (payload) => request("/reports", { method: "POST", body: payload }),
};
