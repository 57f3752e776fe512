// errorText (dom.js): which words a failed request shows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { errorText } from "../../carte/static/js/dom.js";

const messages = { error_rate_limited: "Trop de demandes, réessayez dans une minute." };

test("a known error code takes the page's own wording", () => {
  assert.equal(errorText(messages, { code: "rate_limited", message: "Too many requests" }),
    "Trop de demandes, réessayez dans une minute.");
});

test("an unknown code shows the server's message, already in the page's language", () => {
  assert.equal(errorText(messages, { code: "too_short", message: "Le titre est trop court." }), "Le titre est trop court.");
});

test("an error without code or message is written as itself", () => {
  assert.equal(errorText(messages, new TypeError("Failed to fetch")), "Failed to fetch");
  assert.equal(errorText(messages, new RangeError()), "RangeError");
  assert.equal(errorText(messages, "timeout"), "timeout");
});
