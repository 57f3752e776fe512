// api.js, the one wrapper around fetch(): URLs, headers, bodies and errors, with globalThis.fetch stubbed.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { ApiError, api, buildUrl, request } from "../../carte/static/js/api.js";
import { installFakePage } from "./fake-page.mjs";

const page = installFakePage({
  origin: "https://carte.example",
  csrf: "token-123",
  blocks: {
    "carte-config": { apiBase: "/api/v1/" },
    "carte-messages": { network: "Pas de réseau.", server_error: "Le serveur a eu un problème." },
  },
});

let calls;
let answer;

// fetch() records its arguments and answers with `answer()` (a Response, or a thrown error).
globalThis.fetch = async (url, options) => {
  calls.push({ url: String(url), options });
  return answer();
};

function json(status, payload) {
  return new Response(JSON.stringify(payload), { status, headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  calls = [];
  answer = () => json(200, { ok: true });
  page.csrf = "token-123";
});

test("the query leaves out empty values and joins lists with commas", () => {
  const url = buildUrl("/reports", { bbox: [2.2, 48.8, 2.4, 48.9], theme: "", zoom: 12, tag: null, q: undefined, page: 0 });
  assert.equal(url.href, "https://carte.example/api/v1/reports?bbox=2.2%2C48.8%2C2.4%2C48.9&zoom=12&page=0");
});

test("a GET asks for JSON with the session cookie and sends no CSRF token", async () => {
  assert.deepEqual(await request("/themes"), { ok: true });
  assert.equal(calls.length, 1);
  const { url, options } = calls[0];
  assert.equal(url, "https://carte.example/api/v1/themes");
  assert.equal(options.method, "GET");
  assert.equal(options.credentials, "same-origin");
  assert.deepEqual(options.headers, { Accept: "application/json" });
  assert.equal(options.body, undefined);
});

test("a POST of an object sends it as JSON with the CSRF token", async () => {
  await request("/reports", { method: "POST", body: { title: "Banc cassé", lat: 48.85 } });
  const { options } = calls[0];
  assert.equal(options.method, "POST");
  assert.equal(options.headers["Content-Type"], "application/json");
  assert.equal(options.headers["X-CSRFToken"], "token-123");
  assert.equal(options.body, '{"title":"Banc cassé","lat":48.85}');
});

test("a FormData body goes as it is: no JSON content type (the browser writes the multipart one), the CSRF token still sent", async () => {
  const data = new FormData();
  data.append("photos", new Blob(["\xff\xd8"], { type: "image/jpeg" }), "photo.jpg");
  await request("/reports/abc/photos", { method: "POST", body: data });
  const { url, options } = calls[0];
  assert.equal(url, "https://carte.example/api/v1/reports/abc/photos");
  assert.equal(options.body, data);
  assert.equal("Content-Type" in options.headers, false);
  assert.equal(options.headers["X-CSRFToken"], "token-123");
  assert.equal(options.headers.Accept, "application/json");
});

test("without a CSRF token on the page, no X-CSRFToken header is invented", async () => {
  page.csrf = null;
  await request("/reports/abc", { method: "DELETE" });
  assert.equal("X-CSRFToken" in calls[0].options.headers, false);
});

test("an error answer becomes an ApiError with the server's status, code, message and field", async () => {
  answer = () => json(422, { error: { code: "too_short", message: "Le titre est trop court.", field: "title" } });
  const error = await request("/reports", { method: "POST", body: {} }).catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ApiError");
  assert.equal(error.status, 422);
  assert.equal(error.code, "too_short");
  assert.equal(error.message, "Le titre est trop court.");
  assert.equal(error.field, "title");
  assert.equal(error.isValidationError, true);
  assert.equal(error.isNetworkError, false);
});

test("an error answer that is not JSON is named after its status, in the page's words", async () => {
  answer = () => new Response("<h1>Bad gateway</h1>", { status: 502, headers: { "Content-Type": "text/html" } });
  const error = await request("/themes").catch((e) => e);
  assert.equal(error.status, 502);
  assert.equal(error.code, "http_502");
  assert.equal(error.message, "Le serveur a eu un problème.");
  assert.equal(error.field, null);
  assert.equal(error.isValidationError, false);
});

test("a successful answer that is not JSON is an invalid response", async () => {
  answer = () => new Response("ok", { status: 200, headers: { "Content-Type": "text/plain" } });
  const error = await request("/themes").catch((e) => e);
  assert.equal(error.code, "invalid_response");
  assert.equal(error.status, 200);
});

test("204 No Content resolves to null", async () => {
  answer = () => new Response(null, { status: 204 });
  assert.equal(await request("/reports/abc/support", { method: "DELETE" }), null);
});

test("a network failure is an ApiError of status 0", async () => {
  answer = () => {
    throw new TypeError("Failed to fetch");
  };
  const error = await request("/themes").catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 0);
  assert.equal(error.code, "network");
  assert.equal(error.message, "Pas de réseau.");
  assert.equal(error.isNetworkError, true);
});

test("an aborted request rejects with the AbortError itself, not an ApiError", async () => {
  answer = () => {
    throw new DOMException("The operation was aborted.", "AbortError");
  };
  const error = await request("/reports").catch((e) => e);
  assert.equal(error.name, "AbortError");
  assert.equal(error instanceof ApiError, false);
});

test("api.themes() gives the list of themes, an empty list when the answer has none", async () => {
  answer = () => json(200, { themes: [{ slug: "voirie" }] });
  assert.deepEqual(await api.themes(), [{ slug: "voirie" }]);
  answer = () => json(200, {});
  assert.deepEqual(await api.themes(), []);
});
