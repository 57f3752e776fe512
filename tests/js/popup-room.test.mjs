// Where a report's popup moves to be seen whole (popup-room.js). Expected offsets worked out by hand from the
// boxes below (page pixels, margin 8).
import { test } from "node:test";
import assert from "node:assert/strict";

import { clearOffset } from "../../carte/static/js/popup-room.js";

const FRAME = { left: 0, top: 0, right: 1000, bottom: 800 };

test("a popup already in view and clear of everything stays", () => {
  assert.deepEqual(clearOffset({ left: 100, top: 100, right: 400, bottom: 400 }, FRAME, []), { dx: 0, dy: 0 });
});

test("a popup past the top edge comes down to the margin", () => {
  // top -50 → 8: 58 px down.
  assert.deepEqual(clearOffset({ left: 100, top: -50, right: 300, bottom: 150 }, FRAME, []), { dx: 0, dy: 58 });
});

test("under the zoom control, the shorter way out wins", () => {
  const zoom = { left: 10, top: 10, right: 44, bottom: 74 };
  // Right: 44 + 8 − 20 = 32 px; down: 74 + 8 − 20 = 62 px; left and up leave the frame.
  assert.deepEqual(clearOffset({ left: 20, top: 20, right: 220, bottom: 220 }, FRAME, [zoom]), { dx: 32, dy: 0 });
});

test("over the legend, only the way that stays inside the frame counts", () => {
  const frame = { left: 0, top: 0, right: 1366, bottom: 700 };
  const legend = { left: 12, top: 200, right: 316, bottom: 670 };
  // Right: 316 + 8 − 200 = 124 px. Left (−551), up (−408) and down (+378) would leave the frame.
  assert.deepEqual(clearOffset({ left: 200, top: 300, right: 555, bottom: 600 }, frame, [legend]), { dx: 124, dy: 0 });
});

test("two overlays: the move clears both", () => {
  const help = { left: 300, top: 10, right: 700, bottom: 40 };
  const zoom = { left: 10, top: 10, right: 44, bottom: 74 };
  // Fit: top −20 → 8 (dy 28), then out from under the help line: 40 + 8 − (−20) = 68 px down; that box
  // (x 250–550, y 48–348) misses the zoom control.
  assert.deepEqual(clearOffset({ left: 250, top: -20, right: 550, bottom: 280 }, FRAME, [help, zoom]), { dx: 0, dy: 68 });
});

test("a popup taller than the frame keeps its top in view", () => {
  // Room 8–792 is 784 px high; the popup is 900: its top goes to 8.
  assert.deepEqual(clearOffset({ left: 100, top: 50, right: 300, bottom: 950 }, FRAME, []), { dx: 0, dy: -42 });
});
