// Facilitators' dashboard: the filter form drives the URL (shareable views), the map layers,
// the tables and the charts. Every request of a previous filter state is aborted, so a quick
// succession of changes never piles up; the page stays usable while data loads.
import { request } from "./api.js";
import { addBaseLayers, escapeHtml } from "./credits.js";
import { t } from "./i18n.js";

const root = document.getElementById("dashboard");
const form = document.getElementById("filters");
const statusLine = document.getElementById("status");
const details = document.getElementById("details");
const themeMeta = JSON.parse(document.getElementById("theme-meta").textContent);
const themeInfo = Object.fromEntries(themeMeta.map((th) => [th.slug, th]));
const label = (slug) => themeInfo[slug]?.label || slug;
const colour = (slug) => themeInfo[slug]?.color || "#555";
const PALETTE = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
const FILTERS = ["theme", "tag", "commune", "territoire", "departement", "since", "until", "workshop", "status"];

if (window.Chart) {
  Chart.defaults.font.size = 16; // legible when projected
  Chart.defaults.color = "#1a1a1a";
}
for (const swatch of document.querySelectorAll(".swatch[data-color]")) swatch.style.backgroundColor = swatch.dataset.color;

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

// -- map ------------------------------------------------------------------------------------------
const map = L.map("dash-map", { preferCanvas: true, zoomSnap: 0.5 }).setView([48.8566, 2.3522], 10);
addBaseLayers(map, root.dataset);
const choropleth = L.geoJSON(null, { style: () => ({ weight: 0.7, color: "#555", fillOpacity: 0.7, fillColor: "#eee" }) });
const heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 13 });
const hotspots = L.geoJSON(null, {
  style: (feature) => feature.properties.cross_border
    ? { color: "#5b0e91", weight: 4, dashArray: "8 5", fillColor: "#b07cd6", fillOpacity: 0.35 }
    : { color: "#c45100", weight: 2, fillColor: "#f4a261", fillOpacity: 0.35 },
  onEachFeature: (feature, layer) => layer.on("click", () => showZone(feature.properties)),
});
const points = L.layerGroup();
const groups = L.layerGroup();
choropleth.addTo(map);
hotspots.addTo(map);
groups.addTo(map);
// Leaflet writes layer names into innerHTML: they go in escaped.
L.control.layers(null, {
  [escapeHtml(t("layer_choropleth"))]: choropleth, [escapeHtml(t("layer_heatmap"))]: heat,
  [escapeHtml(t("layer_hotspots"))]: hotspots, [escapeHtml(t("layer_points"))]: points,
  [escapeHtml(t("layer_groups"))]: groups,
}, { collapsed: false }).addTo(map);
const legend = L.control({ position: "bottomright" });
legend.onAdd = () => L.DomUtil.create("div", "map-legend");
legend.addTo(map);
// Debugging and end-to-end test hook (like the resident map's window.carte): read-only use please.
window.carteDashboard = { map, layers: { choropleth, heat, hotspots, points, groups } };

let communesGeojson = null;
let placeStats = {};

function quantileBreaks(values, n = 5) {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const breaks = [];
  for (let i = 1; i <= n; i++) breaks.push(sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * i) / n) - 1)]);
  return [...new Set(breaks)];
}

function classColour(value, breaks) {
  if (!value || !breaks.length) return "#f4f4f4";
  const index = breaks.findIndex((b) => value <= b);
  return PALETTE[(index < 0 ? breaks.length - 1 : index) + PALETTE.length - breaks.length];
}

function fmt(value, digits = 1) {
  return value === null || value === undefined ? "–" : new Intl.NumberFormat(document.documentElement.lang || "fr", { maximumFractionDigits: digits }).format(value);
}

function drawChoropleth(result, level) {
  placeStats = Object.fromEntries(result.places.map((p) => [p.code, p]));
  const key = { commune: "code", territoire: "territoire_code", departement: "departement" }[level];
  const breaks = quantileBreaks(result.places.map((p) => p.rate_per_10k || 0));
  choropleth.clearLayers();
  choropleth.addData(communesGeojson);
  choropleth.eachLayer((layer) => {
    const props = layer.feature.properties;
    const stats = placeStats[props[key]] || placeStats[props.code];
    layer.setStyle({ fillColor: classColour(stats?.rate_per_10k, breaks) });
    layer.off("click").on("click", () => showPlace(stats, props));
  });
  const box = legend.getContainer();
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = t("legend_title");
  box.append(title);
  let low = 0;
  breaks.forEach((upper, i) => {
    const row = document.createElement("div");
    const sw = document.createElement("span");
    sw.className = "legend-swatch";
    sw.style.background = PALETTE[i + PALETTE.length - breaks.length];
    row.append(sw, document.createTextNode(` ${fmt(low)} – ${fmt(upper)}`));
    box.append(row);
    low = upper;
  });
  const none = document.createElement("div");
  const sw = document.createElement("span");
  sw.className = "legend-swatch";
  sw.style.background = "#f4f4f4";
  none.append(sw, document.createTextNode(` ${t("no_data")}`));
  box.append(none);
  for (const [className, text] of [["legend-zone", t("zone")], ["legend-zone legend-zone--cross", t("cross_border")]]) {
    const row = document.createElement("div");
    const mark = document.createElement("span");
    mark.className = className;
    row.append(mark, document.createTextNode(` ${text}`));
    box.append(row);
  }
}

function showDetails(title, lines) {
  details.replaceChildren();
  const close = document.createElement("button");
  close.type = "button";
  close.className = "dash-details__close";
  close.setAttribute("aria-label", "Fermer");
  close.textContent = "×";
  close.addEventListener("click", () => { details.hidden = true; });
  const heading = document.createElement("h3");
  heading.textContent = title;
  details.append(close, heading);
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    details.append(p);
  }
  details.hidden = false;
  close.focus();
}

function showPlace(stats, props) {
  if (!stats) return showDetails(props.nom, [t("no_data")]);
  showDetails(stats.nom || props.nom, [t("reports_count", { n: fmt(stats.count, 0) }), t("rate", { rate: fmt(stats.rate_per_10k, 2) })]);
}

function showZone(p) {
  showDetails(`${t("zone")} — ${label(p.theme)}`, [
    t("reports_count", { n: fmt(p.count, 0) }),
    p.cross_border ? t("cross_border") : "",
    t("communes", { list: (p.communes || []).join(", ") }),
  ].filter(Boolean));
}

function drawGroups(result) {
  groups.clearLayers();
  const list = document.getElementById("issue-groups");
  list.replaceChildren();
  if (result.error) {
    const li = document.createElement("li");
    li.textContent = result.error;
    list.append(li);
    return;
  }
  for (const g of result.groups || []) {
    const marker = L.circleMarker([g.centroid[1], g.centroid[0]], {
      radius: 6 + Math.sqrt(g.size) * 2, color: colour(g.theme), weight: g.cross_border ? 4 : 2, fillOpacity: 0.5,
    });
    marker.on("click", () => showDetails(g.title, [t("group", { n: g.size }), label(g.theme), t("communes", { list: g.communes.join(", ") })]));
    groups.addLayer(marker);
  }
  const spanning = (result.groups || []).filter((g) => g.communes.length > 1);
  if (!spanning.length) {
    const li = document.createElement("li");
    li.textContent = t("no_groups");
    list.append(li);
  }
  for (const g of spanning) {
    const li = document.createElement("li");
    const strong = document.createElement("strong");
    strong.textContent = g.title;
    li.append(strong, document.createTextNode(` — ${label(g.theme)} · ${t("group", { n: g.size })} · ${t("communes", { list: g.communes.join(", ") })}`));
    list.append(li);
  }
}

function textSpan(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function drawPoints(collection) {
  points.clearLayers();
  for (const feature of collection.features || []) {
    const [lon, lat] = feature.geometry.coordinates;
    const marker = L.circleMarker([lat, lon], { radius: 4, color: colour(feature.properties.theme), weight: 1, fillOpacity: 0.8 });
    // A string given to bindTooltip is inserted as HTML: the title goes in as a text node.
    marker.bindTooltip(() => textSpan(feature.properties.title || ""));
    points.addLayer(marker);
  }
}

// -- tables ---------------------------------------------------------------------------------------
const table = document.getElementById("territory-table");
let tableRows = [];
let sortKey = "rate_per_10k";
let sortDir = -1;
const COLUMNS = [
  ["nom", "col_territory"], ["theme", "col_theme"], ["count", "col_count"], ["rate_per_10k", "col_rate"],
  ["lq", "col_lq"], ["significant", "col_significant"],
];

function drawTable() {
  const head = document.createElement("tr");
  for (const [key, text] of COLUMNS) {
    const th = document.createElement("th");
    th.scope = "col";
    th.setAttribute("aria-sort", key === sortKey ? (sortDir < 0 ? "descending" : "ascending") : "none");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.key = key;
    button.textContent = t(text) + (key === sortKey ? (sortDir < 0 ? " ▼" : " ▲") : "");
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
  for (const row of rows) {
    const tr = document.createElement("tr");
    if (row.significant) tr.className = "is-significant";
    const cells = [row.nom, label(row.theme), fmt(row.count, 0), fmt(row.rate_per_10k, 2), fmt(row.lq, 2), row.significant ? `★ ${t("significant")}` : ""];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  table.tBodies[0].replaceChildren(body);
}

function drawSharedNeeds(result) {
  const list = document.getElementById("shared-needs");
  list.replaceChildren();
  for (const theme of (result.themes || []).filter((th) => th.count !== 0)) {
    const li = document.createElement("li");
    if (theme.metropolitan) li.className = "is-metropolitan";
    const name = document.createElement("strong");
    name.textContent = label(theme.theme);
    li.append(name);
    if (theme.metropolitan) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = t("metropolitan");
      li.append(" ", badge);
    }
    const sentence = document.createElement("p");
    sentence.textContent = theme.sentence || "";
    li.append(sentence);
    list.append(li);
  }
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
}

// -- secondary layers: issue groups, and report points only while their layer is shown ----------
let pointsFilters = null;
let pointsLoaded = null;

async function loadPoints(signal) {
  if (!map.hasLayer(points) || pointsLoaded === JSON.stringify(pointsFilters)) return;
  const key = JSON.stringify(pointsFilters);
  const collection = await request("/reports", { params: { ...pointsFilters, exact: undefined, status: undefined, limit: 1000 }, signal });
  drawPoints(collection);
  pointsLoaded = key;
}

function loadSecondary(groupsPromise, filters, signal) {
  groupsPromise.then(drawGroups, (error) => {
    if (error.name === "AbortError") return;
    drawGroups({ error: error.code === "selection_too_large" ? t("too_large") : error.message });
  });
  pointsFilters = filters;
  loadPoints(signal).catch(() => {});
}
map.on("overlayadd", (event) => { if (event.layer === points) loadPoints().catch(() => {}); });

// -- loading --------------------------------------------------------------------------------------
let controller = null;

async function refresh() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const params = new URLSearchParams(window.location.search);
  const level = params.get("level") || "commune";
  const filters = filterObject(params);
  root.setAttribute("aria-busy", "true");
  root.classList.add("is-loading");
  statusLine.textContent = t("loading");
  const get = (path, extra = {}) => request(path, { params: { ...filters, ...extra }, signal });
  try {
    // The slower, secondary layers (issue groups, individual points) follow on their own.
    const groupsPromise = get("/aggregates/issue-groups");
    loadSecondary(groupsPromise, filters, signal);
    const [levelStats, territoryStats, metropole, shared, zones, heatmap, timeline] = await Promise.all([
      get("/aggregates/territories", { level }),
      level === "territoire" ? null : get("/aggregates/territories", { level: "territoire" }),
      get("/aggregates/territories", { level: "metropole" }),
      // Shared needs compare themes with one another: every theme, whatever the theme filter.
      request("/aggregates/shared-needs", { params: { ...filters, theme: undefined }, signal }),
      get("/aggregates/hotspots"),
      get("/aggregates/heatmap", { zoom: 11 }),
      get("/animation/chronologie"),
    ]);
    if (signal.aborted) return;
    drawChoropleth(levelStats, level);
    tableRows = (territoryStats || levelStats).rows;
    drawTable();
    drawSharedNeeds(shared);
    hotspots.clearLayers();
    hotspots.addData(zones);
    heat.setLatLngs(heatmap.points.map((p) => [p.lat, p.lon, p.intensity]));
    drawCharts(timeline, metropole);
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
  query.delete("level");
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
  communesGeojson = await request("/communes");
  map.fitBounds(L.geoJSON(communesGeojson).getBounds(), { padding: [10, 10] });
  await refresh();
})();
