// Marker and cluster icon sizes (cluster-icons.js), checked against the sizes the design gives.
import assert from "node:assert/strict";
import { test } from "node:test";

import { clusterIconSize, formatCount, markerSize, serverClusterIconSize, themeRing } from "../../carte/static/js/cluster-icons.js";

test("a marker grows with support on a log scale: 24 px, 30 with 1, 36 with 3, 42 with 7, 48 from 15", () => {
  // 24 × (1 + log2(1 + support) / 4), capped at twice 24.
  assert.equal(markerSize(0), 24);
  assert.equal(markerSize(1), 30);
  assert.equal(markerSize(3), 36);
  assert.equal(markerSize(7), 42);
  assert.equal(markerSize(15), 48);
  assert.equal(markerSize(1000), 48);
});

test("a marker without a usable support count has the smallest size", () => {
  assert.equal(markerSize(undefined), 24);
  assert.equal(markerSize(null), 24);
  assert.equal(markerSize(-4), 24);
});

test("between the steps a marker's size is rounded to the pixel", () => {
  // 2 supports: 24 × (1 + log2(3) / 4) = 33.51 px.
  assert.equal(markerSize(2), 34);
});

test("a browser-side cluster is 36 px under 10 reports, 42 under 100, 50 beyond", () => {
  assert.deepEqual([1, 9, 10, 99, 100, 5000].map(clusterIconSize), [36, 36, 42, 42, 50, 50]);
});

test("a server cluster keeps growing so that six digits fit: 60 px from 1 000, 70 from 100 000", () => {
  assert.deepEqual([2, 9, 10, 99, 100, 999, 1000, 99999, 100000, 930412].map(serverClusterIconSize),
    [36, 36, 42, 42, 50, 50, 60, 60, 70, 70]);
});

test("a cluster's count is a whole number in the language's digits", () => {
  assert.equal(formatCount(930412, "fr"), "930\u202f412");
  assert.equal(formatCount(930412, "en"), "930,412");
  assert.equal(formatCount(7, "fr"), "7");
  assert.equal(formatCount(12.6, "en"), "13");
});

test("a cluster's ring gives each colour its share of the circle", () => {
  // 1 of 4 is a quarter (0–90°), 3 of 4 the rest (90–360°).
  assert.equal(themeRing([["#f00", 1], ["#00f", 3]], 4), "conic-gradient(#f00 0deg 90deg, #00f 90deg 360deg)");
  assert.equal(themeRing(new Map([["#0a0", 2]]), 2), "conic-gradient(#0a0 0deg 360deg)");
});

test("a cluster with no theme mix is plain grey", () => {
  assert.equal(themeRing([], 12), "#555");
});
