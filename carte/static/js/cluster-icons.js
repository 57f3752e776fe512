// The sizes and numbers of the map's markers and cluster icons: plain maths, no Leaflet and no DOM
// (map.js draws the icons; tests/js checks these).
import { formatNumber } from "./i18n.js";

// Markers grow with support, on a log scale so that one popular report does not hide its street:
// 24 px with no support, 30 px with 1, 36 px with 3, up to 48 px from 15 supports.
export function markerSize(support) {
  return Math.round(24 * (1 + Math.min(1, Math.log2(1 + Math.max(0, support || 0)) / 4)));
}

// A browser-side cluster (Leaflet.markercluster, below the point threshold): 36, 42 or 50 px.
export function clusterIconSize(count) {
  return count < 10 ? 36 : count < 100 ? 42 : 50;
}

// A server cluster, wider as the number grows: "930 412" must fit in the white disc.
export function serverClusterIconSize(count) {
  return count < 10 ? 36 : count < 100 ? 42 : count < 1000 ? 50 : count < 100000 ? 60 : 70;
}

// A cluster's count in the page's language, without decimals ("930 412", "930,412").
export function formatCount(value, lang) {
  return formatNumber(value, 0, lang);
}

// A cluster's ring: one arc per colour, sized by its share of `total` (a CSS conic-gradient), or plain grey
// when there is nothing to share. `shares`: [colour, count] pairs, in drawing order.
export function themeRing(shares, total) {
  let start = 0;
  const stops = [];
  for (const [color, n] of shares) {
    const end = start + (n / total) * 360;
    stops.push(`${color} ${start}deg ${end}deg`);
    start = end;
  }
  return stops.length ? `conic-gradient(${stops.join(", ")})` : "#555";
}
