// Projection view of a workshop: full screen, high contrast, live through Server-Sent Events.
import { request } from "./api.js";
import { addBaseLayers } from "./credits.js";
import { t } from "./i18n.js";
import { mapMotion } from "./motion.js";

const root = document.getElementById("projection");
const code = root.dataset.code;
const stateLine = document.getElementById("live-state");
let paused = false;
let frozen = false;
let latest = null;
let fitted = false;

const map = L.map("projection-map", { zoomControl: false, zoomSnap: 0.25, ...mapMotion }).setView([48.8566, 2.3522], 10.5);
map.attributionControl.setPrefix(false);
addBaseLayers(map, { dataAttribution: root.dataset.dataAttribution });
request("/communes").then((geojson) => {
  const outlines = L.geoJSON(geojson, { interactive: false, style: { weight: 1, color: "#8fb8ff", fillColor: "#0b1a33", fillOpacity: 1 } }).addTo(map);
  outlines.bringToBack();
}).catch(() => {});
const heat = L.heatLayer([], { radius: 28, blur: 20, maxZoom: 13, minOpacity: 0.45 }).addTo(map);
const zones = L.geoJSON(null, {
  interactive: false,
  style: (f) => f.properties.cross_border
    ? { color: "#ff66ff", weight: 5, dashArray: "10 6", fillOpacity: 0.15 }
    : { color: "#ffd400", weight: 4, fillOpacity: 0.15 },
}).addTo(map);
const dots = L.layerGroup().addTo(map);

function render(snapshot) {
  root.dataset.count = String(snapshot.count);
  document.getElementById("live-count").textContent = String(snapshot.count);
  document.getElementById("live-count-label").textContent = t("contributions", { count: snapshot.count });
  stateLine.textContent = snapshot.status === "closed" ? t("closed") : "";
  const max = Math.max(1, ...snapshot.ranking.map((r) => r.count));
  const ranking = document.getElementById("live-ranking");
  ranking.replaceChildren(...snapshot.ranking.map((r) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "live-ranking__label";
    name.textContent = r.label;
    const bar = document.createElement("span");
    bar.className = "live-ranking__bar";
    bar.style.width = `${Math.round((r.count / max) * 100)}%`;
    const n = document.createElement("span");
    n.className = "live-ranking__count";
    n.textContent = String(r.count);
    li.append(name, bar, n);
    return li;
  }));
  const communes = document.getElementById("live-communes");
  communes.replaceChildren(...snapshot.communes.map((c) => {
    const li = document.createElement("li");
    li.textContent = `${c.nom} (${c.count})`;
    return li;
  }));
  heat.setLatLngs(snapshot.heatmap.map((p) => [p.lat, p.lon, Math.max(0.35, p.intensity)]));
  zones.clearLayers();
  zones.addData(snapshot.hotspots);
  dots.clearLayers();
  for (const p of snapshot.heatmap) {
    L.circleMarker([p.lat, p.lon], { radius: 5, color: "#ffffff", weight: 2, fillColor: "#00e5ff", fillOpacity: 1, interactive: false }).addTo(dots);
  }
  if (!frozen && snapshot.heatmap.length) {
    const bounds = L.latLngBounds(snapshot.heatmap.map((p) => [p.lat, p.lon]));
    if (!fitted || !map.getBounds().contains(bounds)) {
      map.fitBounds(bounds.pad(0.4), { maxZoom: 13 });
      fitted = true;
    }
  }
}

const RECONNECT_MS = 10_000;

function connect() {
  const source = new EventSource(root.dataset.streamUrl);
  source.addEventListener("snapshot", (event) => {
    latest = JSON.parse(event.data);
    if (!paused) render(latest);
    else stateLine.textContent = t("paused");
  });
  // The server ends each stream after a while and the browser reconnects at once: only a
  // reconnection that takes more than a few seconds is worth telling the room about.
  let lost = null;
  source.addEventListener("open", () => {
    clearTimeout(lost);
    if (stateLine.textContent === t("live_lost")) stateLine.textContent = "";
  });
  source.addEventListener("error", () => {
    clearTimeout(lost);
    lost = setTimeout(() => { if (source.readyState !== EventSource.OPEN) stateLine.textContent = t("live_lost"); }, 4000);
    // A non-stream answer (a 503 while the database is down) closes the source for good:
    // open a new one after a pause, so that the projection comes back by itself.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
  });
}

function toggle(button, on, onText, offText) {
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? onText : offText;
}

// The side panel shows one of: the ranking, the comparison, the places elsewhere.
function closeOther(panelId, buttonId, text) {
  document.getElementById(panelId).hidden = true;
  toggle(document.getElementById(buttonId), false, "", text);
}

document.getElementById("btn-pause").addEventListener("click", (event) => {
  paused = !paused;
  toggle(event.currentTarget, paused, t("resume"), t("pause"));
  stateLine.textContent = paused ? t("paused") : "";
  if (!paused && latest) render(latest);
});
document.getElementById("btn-freeze").addEventListener("click", (event) => {
  frozen = !frozen;
  toggle(event.currentTarget, frozen, t("unfreeze"), t("freeze"));
  for (const handler of [map.dragging, map.scrollWheelZoom, map.doubleClickZoom, map.touchZoom, map.boxZoom, map.keyboard]) {
    if (frozen) handler.disable();
    else handler.enable();
  }
});
document.getElementById("btn-compare").addEventListener("click", async (event) => {
  const panel = document.getElementById("compare-panel");
  const showing = panel.hidden;
  toggle(event.currentTarget, showing, t("compare_close"), t("compare"));
  closeOther("elsewhere-panel", "btn-elsewhere", t("elsewhere"));
  document.getElementById("ranking-panel").hidden = showing;
  panel.hidden = !showing;
  if (!showing) return;
  const data = await request(`/ateliers/${encodeURIComponent(code)}/comparaison`);
  const fill = (id, items, text) => document.getElementById(id).replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    li.textContent = text(item);
    if (item.metropolitan) li.className = "is-metropolitan";
    return li;
  }));
  fill("compare-workshop", data.workshop, (r) => `${r.label} (${r.count})`);
  fill("compare-metropole", data.metropole.slice(0, 10), (r) => `${r.label}${r.metropolitan ? ` — ${t("metropolitan")}` : ""}`);
});
// Which places elsewhere share the needs the room is raising: similar-places with `workshop=`
// compares the room's own reports with every place's.
document.getElementById("btn-elsewhere").addEventListener("click", async (event) => {
  const panel = document.getElementById("elsewhere-panel");
  const showing = panel.hidden;
  toggle(event.currentTarget, showing, t("elsewhere_close"), t("elsewhere"));
  closeOther("compare-panel", "btn-compare", t("compare"));
  document.getElementById("ranking-panel").hidden = showing;
  panel.hidden = !showing;
  if (!showing) return;
  const intro = document.getElementById("elsewhere-intro");
  const list = document.getElementById("elsewhere-list");
  list.replaceChildren();
  if (!latest?.count) {
    intro.textContent = t("elsewhere_wait");
    return;
  }
  intro.textContent = "";
  try {
    const result = await request("/aggregates/similar-places", { params: { workshop: code, level: "commune", exact: 1 } });
    const places = (result.places || []).filter((p) => p.other_territory !== false).slice(0, 5);
    intro.textContent = places.length ? t("elsewhere_intro") : t("elsewhere_none");
    list.replaceChildren(...places.map((place) => {
      const li = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = place.territoire?.nom ? `${place.nom} (${place.territoire.nom})` : place.nom;
      const themes = document.createElement("span");
      const shared = (place.shared_themes || []).slice(0, 3).map((th) => th.label || th.theme).join(", ");
      themes.textContent = shared ? ` — ${t("shared_themes", { list: shared })}` : "";
      li.append(name, themes);
      return li;
    }));
    root.dataset.elsewhere = String(places.length);
  } catch {
    intro.textContent = t("elsewhere_unavailable");
  }
});
document.getElementById("btn-fullscreen").addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen?.().catch(() => {});
});

connect();
