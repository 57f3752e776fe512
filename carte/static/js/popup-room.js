// Where a popup must move to be seen whole: inside the map, clear of what is drawn over the map (Leaflet's
// controls, the legend, the help line, a toast, a side panel). Leaflet's autoPan only knows the map's edges,
// so a popup opened near one of them ended under the zoom control, the legend or the help line (issue 11).
// Pure: rectangles in, an offset out ({left, top, right, bottom} in page pixels), so Node can test it.

const MARGIN = 8;

function shifted(box, dx, dy) {
  return { left: box.left + dx, top: box.top + dy, right: box.right + dx, bottom: box.bottom + dy };
}

function overlaps(a, b) {
  return Math.min(a.right, b.right) > Math.max(a.left, b.left) && Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top);
}

function inside(box, frame) {
  return box.left >= frame.left && box.right <= frame.right && box.top >= frame.top && box.bottom <= frame.bottom;
}

// The smallest move along one axis that brings [low, high] inside [min, max]; a box longer than the frame keeps
// its start (a popup's top, with its title and close button) in view.
function fitAxis(low, high, min, max) {
  if (low < min || high - low > max - min) return min - low;
  if (high > max) return max - high;
  return 0;
}

/**
 * The move {dx, dy} (page pixels; positive = right, down) that puts `box` inside `frame` (less a margin) and
 * over none of `obstacles`, as short as possible. When no move clears every obstacle, the move that only fits
 * the frame. Candidates are the frame fit and, on each axis, the positions just past each obstacle's sides.
 */
export function clearOffset(box, frame, obstacles, margin = MARGIN) {
  const room = { left: frame.left + margin, top: frame.top + margin, right: frame.right - margin, bottom: frame.bottom - margin };
  const fit = { dx: fitAxis(box.left, box.right, room.left, room.right), dy: fitAxis(box.top, box.bottom, room.top, room.bottom) };
  const xs = [fit.dx];
  const ys = [fit.dy];
  for (const o of obstacles) {
    xs.push(o.right + margin - box.left, o.left - margin - box.right);
    ys.push(o.bottom + margin - box.top, o.top - margin - box.bottom);
  }
  let best = null;
  for (const dx of xs) {
    for (const dy of ys) {
      const moved = shifted(box, dx, dy);
      if (!inside(moved, room) || obstacles.some((o) => overlaps(moved, o))) continue;
      const cost = Math.hypot(dx, dy);
      if (!best || cost < best.cost) best = { dx, dy, cost };
    }
  }
  return best ? { dx: best.dx, dy: best.dy } : fit;
}
