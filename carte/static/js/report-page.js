// The small map of a report's own page (/signalements/<id>): centred on the report, one marker.
// Everything comes from data- attributes on #report-map (no inline script: strict CSP).
import { addBaseLayers } from "./credits.js";
import { mapMotion } from "./motion.js";

const node = document.getElementById("report-map");

function start() {
  if (!node || !window.L) return;
  const lat = Number(node.dataset.lat);
  const lon = Number(node.dataset.lon);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
  const L = window.L;
  const map = L.map(node, { center: [lat, lon], zoom: 17, minZoom: 11, maxZoom: 19, scrollWheelZoom: false, ...mapMotion });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (!addBaseLayers(map, node.dataset)) node.classList.add("map--no-tiles");
  L.circleMarker([lat, lon], {
    radius: 10,
    color: "#123c69",
    weight: 3,
    fillColor: node.dataset.color || "#123c69",
    fillOpacity: 0.9,
    interactive: false,
  }).addTo(map);
  node.dataset.ready = "true";
}

if (window.L) start();
else window.addEventListener("load", start);
