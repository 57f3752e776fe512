// Facilitators' dashboard: the filter form drives the URL (shareable views), the map layers,
// the tables and the charts. Every request of a previous filter state is aborted, so a quick
// succession of changes never piles up; the page stays usable while data loads. Each part is
// drawn on its own (`safely`): one failing part never leaves the others stale.
// Everything a person reads is built as DOM nodes (never HTML strings).
import { request } from "./api.js";
import { addBaseLayers, escapeHtml, labelCommunesWithoutTiles } from "./credits.js";
import { t } from "./i18n.js";
import { el } from "./dom.js";
import { mapMotion } from "./motion.js";

const root = document.getElementById("dashboard");
const form = document.getElementById("filters");
const statusLine = document.getElementById("status");
const details = document.getElementById("details");
const themeMeta = JSON.parse(document.getElementById("theme-meta").textContent);
const themeInfo = Object.fromEntries(themeMeta.map((th) => [th.slug, th]));
const label = (slug) => themeInfo[slug]?.label || slug;
const colour = (slug) => themeInfo[slug]?.color || "#555";
const PALETTE = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
const NO_DATA = "#f4f4f4";
// Leaflet.heat's colours, given explicitly so that the legend shows the same ramp.
const HEAT_GRADIENT = { 0.4: "#3b4cc0", 0.6: "#00b7c7", 0.7: "#6ad33f", 0.8: "#ffd92f", 1: "#d7191c" };
const FILTERS = ["theme", "tag", "commune", "territoire", "departement", "since", "until", "workshop", "status", "progress"];

if (window.Chart) {
  Chart.defaults.font.size = 16; // legible when projected
  Chart.defaults.color = "#1a1a1a";
}
for (const swatch of document.querySelectorAll(".swatch[data-color]")) swatch.style.backgroundColor = swatch.dataset.color;

function safely(part, draw) {
  try {
    draw();
  } catch (error) {
    console.error(`dashboard: ${part} could not be drawn`, error);
  }
}

// -- the filter form: collapsible above the results on narrow screens ----------------------------
const filtersBody = document.getElementById("filters-body");
const filtersToggle = document.getElementById("filters-toggle");
const narrow = window.matchMedia("(max-width: 900px)");
function setFiltersOpen(open) {
  filtersToggle.setAttribute("aria-expanded", String(open));
  filtersBody.hidden = !open;
}
filtersToggle.addEventListener("click", () => setFiltersOpen(filtersBody.hidden));
setFiltersOpen(!narrow.matches);
narrow.addEventListener("change", () => setFiltersOpen(!narrow.matches));

// -- form <-> URL ---------------------------------------------------------------------------------
function formParams() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (String(value).trim()) params.append(name, String(value).trim());
  return params;
}

function fillForm(params) {
  for (const element of form.elements) {
    if (!element.name) continue;
    const values = params.getAll(element.name);
    if (element.type === "checkbox") element.checked = values.includes(element.value);
    else if (element.multiple) for (const option of element.options) option.selected = values.includes(option.value);
    else if (element.tagName !== "BUTTON") element.value = values[0] || (element.name === "level" ? "commune" : "");
  }
}

function filterObject(params) {
  const out = { exact: 1 };
  for (const name of FILTERS) {
    const values = params.getAll(name);
    if (values.length) out[name] = values;
  }
  return out;
}

function fmt(value, digits = 1) {
  return value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : new Intl.NumberFormat(document.documentElement.lang || "fr", { maximumFractionDigits: digits }).format(value);
}

// -- map ------------------------------------------------------------------------------------------
const map = L.map("dash-map", { preferCanvas: true, zoomSnap: 0.5, ...mapMotion }).setView([48.8566, 2.3522], 10);
const tiles = addBaseLayers(map, root.dataset);
const communesRequest = request("/communes");
labelCommunesWithoutTiles(map, tiles, communesRequest);
// Commune outlines sit in a pane of their own below every overlay: without tiles (offline) the
// heatmap and the zones still float over the communes, not over grey.
map.createPane("outlines").style.zIndex = "350";
const outlines = L.geoJSON(null, {
  pane: "outlines", interactive: false, style: () => ({ weight: 0.8, color: "#6b6b6b", fill: false }),
}).addTo(map);
const choropleth = L.geoJSON(null, { style: () => ({ weight: 0.7, color: "#555", fillOpacity: 0.7, fillColor: "#eee" }) });
const heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 13, gradient: HEAT_GRADIENT });
const hotspots = L.geoJSON(null, {
  // Robust zones (found at another H3 resolution too) are solid; the others dashed.
  style: (feature) => ({
    color: feature.properties.cross_border ? "#5b0e91" : "#c45100",
    weight: feature.properties.cross_border ? 4 : 2.5,
    dashArray: feature.properties.robust === false ? "6 6" : null,
    fillColor: feature.properties.cross_border ? "#b07cd6" : "#f4a261",
    fillOpacity: 0.35,
  }),
  onEachFeature: (feature, layer) => layer.on("click", () => showZone(feature.properties)),
});
const points = L.layerGroup();
const groups = L.layerGroup();
const bridges = L.layerGroup();
choropleth.addTo(map);
hotspots.addTo(map);
groups.addTo(map);
bridges.addTo(map);
// Leaflet writes layer names into innerHTML: they go in escaped.
L.control.layers(null, {
  [escapeHtml(t("layer_choropleth"))]: choropleth, [escapeHtml(t("layer_heatmap"))]: heat,
  [escapeHtml(t("layer_hotspots"))]: hotspots, [escapeHtml(t("layer_points"))]: points,
  [escapeHtml(t("layer_groups"))]: groups, [escapeHtml(t("layer_bridges"))]: bridges,
}, { collapsed: narrow.matches }).addTo(map);

// One legend box per layer, shown only while its layer is.
function legendControl(className) {
  const box = L.DomUtil.create("div", `map-legend ${className}`);
  L.DomEvent.disableClickPropagation(box);
  const control = L.control({ position: "bottomright" });
  control.onAdd = () => box;
  control.box = box;
  return control;
}
const legends = [
  [choropleth, legendControl("map-legend--choropleth")],
  [heat, legendControl("map-legend--heat")],
  [hotspots, legendControl("map-legend--zones")],
];
function syncLegends() {
  for (const [layer, control] of legends) {
    const shown = map.hasLayer(layer);
    if (shown && !control.getContainer()?.parentNode) control.addTo(map);
    else if (!shown && control.getContainer()?.parentNode) control.remove();
  }
}

// Debugging and end-to-end test hook (like the resident map's window.carte): read-only use please.
window.carteDashboard = { map, layers: { outlines, choropleth, heat, hotspots, points, groups, bridges } };

let communesGeojson = null;
let communeNames = {};
let placeStats = {};
let currentLevel = "commune";

// Names, not INSEE codes: the API's {code, nom}, else the atlas names of /api/v1/communes.
function placeName(entry) {
  if (entry && typeof entry === "object") return entry.nom || communeNames[entry.code] || entry.code;
  return communeNames[entry] || String(entry);
}
const placeNames = (list) => (list || []).map(placeName).join(", ");

function quantileBreaks(values, n = 5) {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const breaks = [];
  for (let i = 1; i <= n; i++) breaks.push(sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * i) / n) - 1)]);
  return [...new Set(breaks)];
}

// Class bounds [[low, high], ...]: the API's breaks (edges, equal ones merged) when it gives them.
function classBounds(result, field, values) {
  const edges = result.breaks?.[field];
  let uppers;
  let low = 0;
  if (Array.isArray(edges) && edges.length) {
    const unique = [...new Set(edges.map(Number))].sort((a, b) => a - b);
    const min = Math.min(...values.filter((v) => v !== null && v !== undefined));
    // Edges that open with the minimum are [low, …, high]; otherwise they are upper bounds only.
    if (unique.length > 1 && unique[0] <= min) {
      low = unique[0];
      uppers = unique.slice(1);
    } else uppers = unique;
  } else uppers = quantileBreaks(values);
  uppers = uppers.slice(-PALETTE.length);
  return uppers.map((upper, i) => [i ? uppers[i - 1] : low, upper]);
}

function classColour(value, bounds) {
  if (value === null || value === undefined || value <= 0 || !bounds.length) return NO_DATA;
  let index = bounds.findIndex(([, high]) => value <= high);
  if (index < 0) index = bounds.length - 1;
  return PALETTE[index + PALETTE.length - bounds.length];
}

function rateField(result) {
  const raw = new URLSearchParams(window.location.search).get("rate") === "raw";
  const smoothed = (result.places || []).some((p) => p.rate_eb_per_10k !== undefined);
  return raw || !smoothed ? "rate_per_10k" : "rate_eb_per_10k";
}

function legendRow(swatchClass, colourValue, text) {
  const row = el("div");
  const sw = el("span", swatchClass);
  if (colourValue) sw.style.background = colourValue;
  row.append(sw, document.createTextNode(` ${text}`));
  return row;
}

function drawChoropleth(result, level) {
  currentLevel = level;
  placeStats = Object.fromEntries(result.places.map((p) => [p.code, p]));
  const key = { commune: "code", territoire: "territoire_code", departement: "departement" }[level];
  const field = rateField(result);
  const values = result.places.map((p) => p[field]);
  const bounds = classBounds(result, field, values);
  choropleth.clearLayers();
  choropleth.addData(communesGeojson);
  choropleth.eachLayer((layer) => {
    const props = layer.feature.properties;
    const stats = placeStats[props[key]] || placeStats[props.code];
    layer.setStyle({ fillColor: classColour(stats?.[field], bounds) });
    layer.off("click").on("click", () => showPlace(stats, props, level === "commune" ? props.code : props[key]));
  });
  const box = legends[0][1].box;
  const counting = result.count_unit === "contributors" ? t("legend_contributors") : t("legend_title");
  const unit = result.breaks?.unit || t("unit_per_10k");
  box.replaceChildren(
    el("strong", null, counting),
    el("div", "map-legend__sub", `${unit} · ${field === "rate_eb_per_10k" ? t("legend_smoothed") : t("legend_raw")}`),
  );
  bounds.forEach(([low, high], i) => {
    box.append(legendRow("legend-swatch", PALETTE[i + PALETTE.length - bounds.length], `${fmt(low, 2)} – ${fmt(high, 2)}`));
  });
  box.append(legendRow("legend-swatch", NO_DATA, t("no_data")));
  root.dataset.rateField = field;
}

function drawStaticLegends() {
  const heatBox = legends[1][1].box;
  const ramp = el("div", "heat-ramp");
  ramp.style.background = `linear-gradient(to right, ${Object.entries(HEAT_GRADIENT).map(([stop, c]) => `${c} ${Number(stop) * 100}%`).join(", ")})`;
  const ends = el("div", "heat-ramp__ends");
  ends.append(el("span", null, t("heat_few")), el("span", null, t("heat_many")));
  heatBox.replaceChildren(el("strong", null, t("layer_heatmap")), ramp, ends, el("div", "map-legend__sub", t("heat_hint")));
  const zonesBox = legends[2][1].box;
  zonesBox.replaceChildren(
    el("strong", null, t("layer_hotspots")),
    legendRow("legend-zone", null, t("zone_robust_short")),
    legendRow("legend-zone legend-zone--fragile", null, t("zone_fragile_short")),
    legendRow("legend-zone legend-zone--cross", null, t("cross_border_short")),
  );
}

// -- detail box: what it shows is remembered, so that a filter change refreshes or closes it ----
let detailState = null;

function showDetails(title, lines, { focus = true, extra = null } = {}) {
  details.replaceChildren();
  const close = el("button", "dash-details__close", "×");
  close.type = "button";
  close.setAttribute("aria-label", t("close"));
  close.addEventListener("click", closeDetails);
  details.append(close, el("h3", null, title));
  for (const line of lines) details.append(el("p", null, line));
  if (extra) details.append(extra);
  details.hidden = false;
  if (focus) close.focus();
}

function closeDetails() {
  details.hidden = true;
  details.replaceChildren();
  detailState = null;
}
details.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDetails(); });

function showPlace(stats, props, code, { focus = true } = {}) {
  detailState = { kind: "place", props, code };
  const name = stats?.nom || props.nom;
  if (!stats) return showDetails(name, [t("no_data")], { focus });
  const lines = [t("reports_count", { n: stats.count === null && stats.count_label ? stats.count_label : fmt(stats.count, 0) }), t("rate", { rate: fmt(stats.rate_per_10k, 2) })];
  if (stats.rate_eb_per_10k !== undefined) lines.push(t("rate_eb", { rate: fmt(stats.rate_eb_per_10k, 2) }));
  const similar = el("div", "similar");
  const button = el("button", "button similar__button", t("similar_button"));
  button.type = "button";
  button.addEventListener("click", () => loadSimilar(code || stats.code, name, similar, button));
  similar.append(button);
  showDetails(name, lines, { focus, extra: currentLevel === "departement" ? null : similar });
}

async function loadSimilar(code, name, box, button) {
  button.disabled = true;
  const status = el("p", "hint", t("loading"));
  box.replaceChildren(status);
  try {
    const params = { ...filterObject(new URLSearchParams(window.location.search)), code, level: currentLevel === "territoire" ? "territoire" : "commune" };
    const result = await request("/aggregates/similar-places", { params });
    const places = (result.places || []).slice(0, 5);
    box.replaceChildren(el("h4", null, t("similar_title", { place: name })));
    if (!places.length) {
      box.append(el("p", null, t("similar_none")));
      return;
    }
    const list = el("ol", "similar__list");
    for (const place of places) {
      const li = el("li");
      const territory = place.territoire?.nom ? ` (${place.territoire.nom})` : "";
      li.append(el("strong", null, `${place.nom || placeName(place.code)}${territory}`));
      const themes = (place.shared_themes || []).map((th) => th.label || label(th.theme)).join(", ");
      const parts = [t("similarity", { value: fmt(place.similarity, 2) })];
      if (themes) parts.push(t("shared_themes", { list: themes }));
      if (place.other_territory) parts.push(t("other_territory"));
      li.append(el("span", null, ` — ${parts.join(" · ")}`));
      list.append(li);
    }
    box.append(list);
  } catch {
    box.replaceChildren(el("p", "hint", t("similar_unavailable")));
  }
}

function showZone(p) {
  detailState = { kind: "zone" };
  const lines = [t("reports_count", { n: fmt(p.count, 0) })];
  if (p.cross_border) lines.push(t("cross_border"));
  if (p.robust !== undefined) lines.push(p.robust ? t("zone_robust") : t("zone_fragile"));
  if (p.resolution !== undefined) lines.push(t("resolution", { n: p.resolution }));
  lines.push(t("communes", { list: placeNames(p.communes) }));
  showDetails(`${t("zone")} — ${label(p.theme)}`, lines);
}

function drawGroups(result) {
  groups.clearLayers();
  const list = document.getElementById("issue-groups");
  list.replaceChildren();
  if (result.error) {
    list.append(el("li", null, result.error));
    return;
  }
  for (const g of result.groups || []) {
    const marker = L.circleMarker([g.centroid[1], g.centroid[0]], {
      radius: 6 + Math.sqrt(g.size) * 2, color: colour(g.theme), weight: g.cross_border ? 4 : 2, fillOpacity: 0.5,
    });
    marker.on("click", () => {
      detailState = { kind: "group" };
      showDetails(g.title, [t("group", { n: g.size }), label(g.theme), t("communes", { list: placeNames(g.communes) })]);
    });
    groups.addLayer(marker);
  }
  const spanning = (result.groups || []).filter((g) => (g.communes || []).length > 1);
  if (!spanning.length) list.append(el("li", null, t("no_groups")));
  for (const g of spanning) {
    const li = el("li");
    li.append(el("strong", null, g.title), document.createTextNode(` — ${label(g.theme)} · ${t("group", { n: g.size })} · ${t("communes", { list: placeNames(g.communes) })}`));
    list.append(li);
  }
}

// -- points: clusters of the whole selection, or its points once few enough ----------------------
const pointsTotal = document.getElementById("points-total");

function drawPoints(collection) {
  points.clearLayers();
  const features = collection.features || [];
  for (const feature of features) {
    const [lon, lat] = feature.geometry.coordinates;
    const props = feature.properties || {};
    if (props.cluster) {
      const count = el("span", "dash-cluster__count", fmt(props.count, 0));
      const marker = L.marker([lat, lon], {
        icon: L.divIcon({ html: count, className: "dash-cluster", iconSize: [36, 36] }),
        title: t("cluster", { n: fmt(props.count, 0) }), alt: t("cluster", { n: fmt(props.count, 0) }), keyboard: true,
      });
      marker.on("click", () => {
        const [w, s, e, n] = props.bbox || [];
        if (props.bbox) map.fitBounds([[s, w], [n, e]], { padding: [20, 20] });
        else map.setView([lat, lon], map.getZoom() + 2);
      });
      points.addLayer(marker);
      continue;
    }
    const marker = L.circleMarker([lat, lon], { radius: 4, color: colour(props.theme), weight: 1, fillOpacity: 0.8 });
    // A string given to bindTooltip is inserted as HTML: the title goes in as a text node.
    marker.bindTooltip(() => el("span", null, props.title || ""));
    points.addLayer(marker);
  }
  let text;
  if (collection.total !== undefined) {
    text = collection.clustered ? t("points_clustered", { n: fmt(collection.total, 0) }) : t("points_total", { n: fmt(collection.total, 0) });
  } else {
    // An older API without clusters: say plainly when the answer is a first page, never a silent cut.
    text = collection.next_cursor ? t("points_partial", { n: fmt(features.length, 0) }) : t("points_total", { n: fmt(features.length, 0) });
  }
  pointsTotal.textContent = text;
  pointsTotal.hidden = false;
  root.dataset.pointsTotal = String(collection.total ?? features.length);
}

// -- tables ---------------------------------------------------------------------------------------
const table = document.getElementById("territory-table");
let tableRows = [];
let sortKey = "rate_per_10k";
let sortDir = -1;
const COLUMNS = [
  ["nom", "col_territory"], ["theme", "col_theme"], ["count", "col_count"], ["rate_per_10k", "col_rate"],
  ["rate_eb_per_10k", "col_rate_eb"], ["lq", "col_lq"], ["significant", "col_significant"],
  ["excess_risk", "col_excess"], ["excess_significant", "col_excess_significant"],
];

function drawTable() {
  const smoothed = tableRows.some((row) => row.rate_eb_per_10k !== undefined);
  const excess = tableRows.some((row) => row.excess_risk !== undefined);
  const columns = COLUMNS.filter(([key]) => (key !== "rate_eb_per_10k" || smoothed) && (!key.startsWith("excess") || excess));
  if (!columns.some(([key]) => key === sortKey)) sortKey = "rate_per_10k";
  const head = el("tr");
  for (const [key, text] of columns) {
    const th = el("th");
    th.scope = "col";
    th.setAttribute("aria-sort", key === sortKey ? (sortDir < 0 ? "descending" : "ascending") : "none");
    const button = el("button", null, t(text) + (key === sortKey ? (sortDir < 0 ? " ▼" : " ▲") : ""));
    button.type = "button";
    button.dataset.key = key;
    button.addEventListener("click", () => {
      sortDir = sortKey === key ? -sortDir : -1;
      sortKey = key;
      drawTable();
      table.querySelector(`button[data-key="${key}"]`).focus();
    });
    th.append(button);
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const value = (row) => (sortKey === "theme" ? label(row.theme) : row[sortKey]);
  const rows = [...tableRows].sort((a, b) => {
    const x = value(a), y = value(b);
    if (typeof x === "string" || typeof y === "string") return sortDir * String(x).localeCompare(String(y), "fr");
    return sortDir * ((x ?? -Infinity) - (y ?? -Infinity));
  });
  const body = document.createDocumentFragment();
  const cell = {
    nom: (row) => row.nom, theme: (row) => label(row.theme), count: (row) => fmt(row.count, 0),
    rate_per_10k: (row) => fmt(row.rate_per_10k, 2), rate_eb_per_10k: (row) => fmt(row.rate_eb_per_10k, 2),
    lq: (row) => fmt(row.lq, 2), significant: (row) => (row.significant ? `★ ${t("significant")}` : ""),
    excess_risk: (row) => fmt(row.excess_risk, 2), excess_significant: (row) => (row.excess_significant ? `★ ${t("significant")}` : ""),
  };
  for (const row of rows) {
    const tr = el("tr");
    if (row.significant) tr.classList.add("is-significant");
    if (row.excess_significant) tr.classList.add("is-excess");
    for (const [key] of columns) tr.append(el("td", null, cell[key](row)));
    body.append(tr);
  }
  table.tBodies[0].replaceChildren(body);
}

let tooltipCount = 0;
function drawSharedNeeds(result) {
  const list = document.getElementById("shared-needs");
  list.replaceChildren();
  for (const theme of (result.themes || []).filter((th) => th.count !== 0)) {
    const li = el("li");
    if (theme.metropolitan) li.className = "is-metropolitan";
    li.append(el("strong", null, label(theme.theme)));
    if (theme.metropolitan) {
      // The tooltip says why the theme got the badge; the badge takes the keyboard focus to show it.
      const badge = el("span", "badge", t("metropolitan"));
      const why = theme.why?.text;
      if (why) {
        const tip = el("span", "badge__tip", why);
        tip.id = `badge-tip-${++tooltipCount}`;
        tip.setAttribute("role", "tooltip");
        badge.tabIndex = 0;
        badge.title = why;
        badge.setAttribute("aria-describedby", tip.id);
        badge.append(tip);
      }
      li.append(" ", badge);
    }
    li.append(el("p", null, theme.sentence || ""));
    // Without the badge, the same reason says what it lacks (coverage, evenness, contributors).
    if (!theme.metropolitan && theme.why?.text) li.append(el("p", "shared-needs__why", theme.why.text));
    list.append(li);
  }
}

// -- passerelles: pairs of places in different territories with a significant need in common ----
const bridgesTable = document.getElementById("bridges-table");
const bridgesStatus = document.getElementById("bridges-status");

function showBridge(pair, { focus = true } = {}) {
  detailState = { kind: "bridge" };
  const themes = (pair.shared_themes || []).map((th) => th.label || label(th.theme)).join(", ");
  showDetails(`${pair.a.nom} — ${pair.b.nom}`, [pair.sentence || "", t("shared_themes", { list: themes }), t("similarity", { value: fmt(pair.similarity, 2) })].filter(Boolean), { focus });
}

function drawBridges(result) {
  bridges.clearLayers();
  const pairs = result.pairs || [];
  const head = el("tr");
  for (const key of ["col_place_a", "col_place_b", "col_shared", "col_similarity", "col_sentence"]) {
    const th = el("th", null, t(key));
    th.scope = "col";
    head.append(th);
  }
  bridgesTable.tHead.replaceChildren(head);
  const body = document.createDocumentFragment();
  pairs.forEach((pair, index) => {
    const where = (place) => `${place.nom}${place.territoire?.nom ? ` (${place.territoire.nom})` : ""}`;
    const tr = el("tr");
    const first = el("td");
    const show = el("button", "link-button", where(pair.a));
    show.type = "button";
    show.dataset.bridge = String(index);
    show.setAttribute("aria-label", t("bridge_show", { a: pair.a.nom, b: pair.b.nom }));
    first.append(show);
    const themes = (pair.shared_themes || []).map((th) => th.label || label(th.theme)).join(", ");
    tr.append(first, el("td", null, where(pair.b)), el("td", null, themes), el("td", null, fmt(pair.similarity, 2)), el("td", null, pair.sentence || ""));
    body.append(tr);
    let line = null;
    if (Array.isArray(pair.line) && pair.line.length === 2) {
      line = L.polyline(pair.line.map(([lon, lat]) => [lat, lon]), { color: "#0b6e4f", weight: 3, opacity: 0.85, dashArray: null });
      line.bindTooltip(() => el("span", null, pair.sentence || ""));
      line.on("click", () => showBridge(pair));
      bridges.addLayer(line);
    }
    show.addEventListener("click", () => {
      if (line) map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: 12 });
      showBridge(pair);
    });
  });
  bridgesTable.tBodies[0].replaceChildren(body);
  bridgesStatus.textContent = pairs.length ? t("bridges_count", { n: pairs.length }) : t("bridges_none");
}

// -- charts ---------------------------------------------------------------------------------------
const charts = {};
function chart(id, config) {
  if (!window.Chart) return;
  charts[id]?.destroy();
  charts[id] = new Chart(document.getElementById(id), { ...config, options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } });
}

function drawCharts(timeline, metropole) {
  const locale = document.documentElement.lang || "fr";
  const dates = timeline.starts.map((s) => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(s * 1000)));
  chart("chart-time", {
    type: "line",
    data: { labels: dates, datasets: timeline.series.map((s) => ({ label: label(s.theme), data: s.counts, borderColor: colour(s.theme), backgroundColor: colour(s.theme), borderWidth: 3, pointRadius: 0, tension: 0.2 })) },
    options: { plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: true } } },
  });
  const ranking = [...metropole.themes].filter((th) => th.count).sort((a, b) => b.count - a.count);
  chart("chart-rank", {
    type: "bar",
    data: { labels: ranking.map((th) => label(th.theme)), datasets: [{ label: t("count_label"), data: ranking.map((th) => th.count), backgroundColor: ranking.map((th) => colour(th.theme)) }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } },
  });
  root.dataset.chartTotal = String(ranking.reduce((sum, th) => sum + th.count, 0));
}

// -- heatmap: Leaflet.heat redraws on a map it no longer has once removed (« _animating » of null),
// so its points are handed over only while it is shown, and again when it comes back. -----------
let heatPoints = [];
function applyHeat() {
  if (map.hasLayer(heat)) heat.setLatLngs(heatPoints);
}

// -- secondary layers: issue groups, bridges, and report points only while their layer is shown --
let pointsFilters = null;
let pointsLoaded = null;
let pointsController = null;

// A complete, unclustered answer for a view stays valid inside that view: zooming into it needs no
// new request (and keeps the markers a person is hovering). Clusters or a first page do.
async function loadPoints() {
  if (!map.hasLayer(points) || !pointsFilters) return;
  const view = map.getBounds();
  const key = JSON.stringify(pointsFilters);
  if (pointsLoaded && pointsLoaded.key === key && pointsLoaded.complete && pointsLoaded.bounds.contains(view)) return;
  const params = {
    ...pointsFilters, exact: undefined, status: undefined, limit: 1000,
    bbox: view.toBBoxString(), zoom: Math.round(map.getZoom()),
  };
  pointsController?.abort();
  pointsController = new AbortController();
  const collection = await request("/reports", { params, signal: pointsController.signal });
  drawPoints(collection);
  pointsLoaded = { key, bounds: view, complete: !collection.clustered && !collection.next_cursor };
}
const reloadPoints = () => loadPoints().catch((error) => { if (error.name !== "AbortError") pointsTotal.textContent = t("error", { message: error.message }); });

function loadSecondary(get, filters, level) {
  get("/aggregates/issue-groups").then((result) => safely("issue groups", () => drawGroups(result)), (error) => {
    if (error.name === "AbortError") return;
    safely("issue groups", () => drawGroups({ error: error.code === "selection_too_large" ? t("too_large") : error.message }));
  });
  bridgesStatus.textContent = t("loading");
  get("/aggregates/passerelles", { level: level === "territoire" ? "territoire" : "commune" }).then(
    (result) => safely("bridges", () => drawBridges(result)),
    (error) => {
      if (error.name === "AbortError") return;
      bridges.clearLayers();
      bridgesTable.tBodies[0].replaceChildren();
      bridgesStatus.textContent = t("bridges_unavailable");
    },
  );
  pointsFilters = filters;
  reloadPoints();
}

map.on("overlayadd", (event) => {
  if (event.layer === points) reloadPoints();
  if (event.layer === heat) applyHeat();
  syncLegends();
});
map.on("overlayremove", (event) => {
  if (event.layer === points) pointsTotal.hidden = true;
  syncLegends();
});
let moveTimer = null;
map.on("moveend", () => {
  clearTimeout(moveTimer);
  moveTimer = setTimeout(reloadPoints, 200);
});

// -- loading --------------------------------------------------------------------------------------
let controller = null;

async function refresh() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const params = new URLSearchParams(window.location.search);
  const level = params.get("level") || "commune";
  const counting = params.get("count") === "contributors" ? { count: "contributors" } : {};
  const filters = filterObject(params);
  root.setAttribute("aria-busy", "true");
  root.classList.add("is-loading");
  statusLine.textContent = t("loading");
  // A box about a zone, a group or a bridge would describe the previous selection: it closes.
  if (detailState && detailState.kind !== "place") closeDetails();
  const get = (path, extra = {}) => request(path, { params: { ...filters, ...extra }, signal });
  try {
    // The slower, secondary layers (issue groups, bridges, individual points) follow on their own.
    loadSecondary(get, filters, level);
    const [levelStats, territoryStats, metropole, shared, zones, heatmap, timeline] = await Promise.all([
      get("/aggregates/territories", { level, ...counting }),
      level === "territoire" ? null : get("/aggregates/territories", { level: "territoire", ...counting }),
      get("/aggregates/territories", { level: "metropole" }),
      // Shared needs compare themes with one another: every theme, whatever the theme filter.
      request("/aggregates/shared-needs", { params: { ...filters, theme: undefined, ...counting }, signal }),
      get("/aggregates/hotspots"),
      get("/aggregates/heatmap", { zoom: 11 }),
      get("/animation/chronologie"),
    ]);
    if (signal.aborted) return;
    safely("choropleth", () => drawChoropleth(levelStats, level));
    safely("table", () => {
      tableRows = (territoryStats || levelStats).rows;
      drawTable();
    });
    safely("shared needs", () => drawSharedNeeds(shared));
    safely("hotspots", () => {
      hotspots.clearLayers();
      hotspots.addData(zones);
    });
    safely("heatmap", () => {
      heatPoints = heatmap.points.map((p) => [p.lat, p.lon, p.intensity]);
      applyHeat();
    });
    safely("charts", () => drawCharts(timeline, metropole));
    // An open place box shows the new figures of the same place.
    if (detailState?.kind === "place") {
      const { props, code } = detailState;
      const key = { commune: "code", territoire: "territoire_code", departement: "departement" }[level];
      safely("details", () => showPlace(placeStats[props[key]] || placeStats[props.code], props, code, { focus: false }));
    }
    const total = metropole.themes.reduce((sum, th) => sum + (th.count || 0), 0);
    statusLine.textContent = t("updated", { n: fmt(total, 0) });
    root.dataset.total = String(total);
  } catch (error) {
    if (error.name === "AbortError") return;
    statusLine.textContent = t("error", { message: error.message });
  } finally {
    if (!signal.aborted) {
      root.removeAttribute("aria-busy");
      root.classList.remove("is-loading");
    }
  }
}

function updateExports(params) {
  const base = root.dataset.exportUrl;
  const query = new URLSearchParams(params);
  for (const viewOnly of ["level", "rate", "count"]) query.delete(viewOnly);
  const q = query.toString();
  document.getElementById("export-csv").href = `${base.replace("FORMAT", "csv")}${q ? `?${q}` : ""}`;
  document.getElementById("export-csv-fr").href = `${base.replace("FORMAT", "csv")}?${q ? `${q}&` : ""}sep=%3B`;
  document.getElementById("export-geojson").href = `${base.replace("FORMAT", "geojson")}${q ? `?${q}` : ""}`;
}

let timer = null;
function onChange() {
  const params = formParams();
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
  updateExports(params);
  clearTimeout(timer);
  timer = setTimeout(refresh, 150); // typing in a text field sends one request, not one per key
}

form.addEventListener("change", onChange);
form.addEventListener("submit", (event) => { event.preventDefault(); onChange(); });
document.getElementById("copy-link").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(window.location.href);
    statusLine.textContent = t("copied");
  } catch {
    statusLine.textContent = t("copy_failed");
  }
});
window.addEventListener("popstate", () => { fillForm(new URLSearchParams(window.location.search)); refresh(); });

(async function start() {
  const params = new URLSearchParams(window.location.search);
  fillForm(params);
  updateExports(params);
  drawStaticLegends();
  syncLegends();
  communesGeojson = await communesRequest;
  communeNames = Object.fromEntries(communesGeojson.features.map((f) => [f.properties.code, f.properties.nom]));
  outlines.addData(communesGeojson);
  map.fitBounds(L.geoJSON(communesGeojson).getBounds(), { padding: [10, 10], animate: false }); // the first view
  await refresh();
})();
