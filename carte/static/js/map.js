// The map: Leaflet layers for the communes and the reports, and the resident's draggable pin.
// Data objects (CommuneCollection, ReportCollection) hold plain GeoJSON and build their
// Leaflet layer only when it is first asked for.
import { escapeHtml, labelCommunesWithoutTiles } from "./credits.js";
import { compareNames, formatDate, formatNumber, t } from "./i18n.js";
import { clusterIconSize, formatCount, markerSize, serverClusterIconSize, themeRing } from "./cluster-icons.js";
import { el } from "./dom.js";
import { clearOffset } from "./popup-room.js";
import { mapMotion, reducedMotion } from "./motion.js";

const L = window.L;

// Bounding box of the Métropole du Grand Paris, with a margin (south-west, north-east).
const MGP_BOUNDS = [[48.60, 1.95], [49.10, 2.75]];

// ---------------------------------------------------------------------------
// Point in polygon on GeoJSON rings ([lon, lat] pairs), even-odd rule.

function inRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(lon, lat, rings) {
  if (!inRing(lon, lat, rings[0])) return false;
  for (let k = 1; k < rings.length; k++) if (inRing(lon, lat, rings[k])) return false;
  return true;
}

function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

function bboxOf(polygons) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const rings of polygons)
    for (const [lon, lat] of rings[0]) {
      box[0] = Math.min(box[0], lon);
      box[1] = Math.min(box[1], lat);
      box[2] = Math.max(box[2], lon);
      box[3] = Math.max(box[3], lat);
    }
  return box;
}

// ---------------------------------------------------------------------------

export class CommuneCollection {
  constructor(featureCollection) {
    this.geojson = featureCollection;
    this.features = featureCollection.features || [];
    this.byCode = new Map(this.features.map((f) => [f.properties.code, f]));
    this._index = this.features.map((f) => {
      const polygons = polygonsOf(f.geometry);
      return { feature: f, polygons, bbox: bboxOf(polygons) };
    });
    this._layer = null;
    this._layersByCode = new Map();
  }

  get size() {
    return this.features.length;
  }

  get(code) {
    return this.byCode.get(code) || null;
  }

  sortedByName() {
    return [...this.features].sort((a, b) => compareNames(a.properties.nom, b.properties.nom));
  }

  // The commune containing a point, or null (outside the MGP). The server has the last word.
  locate(lat, lon) {
    for (const { feature, polygons, bbox } of this._index) {
      if (lon < bbox[0] || lon > bbox[2] || lat < bbox[1] || lat > bbox[3]) continue;
      if (polygons.some((rings) => inPolygon(lon, lat, rings))) return feature;
    }
    return null;
  }

  layerFor(code) {
    return this._layersByCode.get(code) || null;
  }

  // Outlines with a name tooltip on hover and on keyboard focus. Only one commune is in the
  // tab order at a time (roving tabindex): arrow keys move between communes in name order.
  layer({ attribution, pane = "communes" } = {}) {
    if (this._layer) return this._layer;
    const order = this.sortedByName().map((f) => f.properties.code);
    const position = new Map(order.map((code, i) => [code, i]));
    const collection = this;

    this._layer = L.geoJSON(this.geojson, {
      pane,
      attribution,
      style: () => ({ ...BASE_STYLE }),
      onEachFeature(feature, layer) {
        const { code, nom } = feature.properties;
        collection._layersByCode.set(code, layer);
        layer.bindTooltip(() => el("span", null, nom), {
          sticky: true,
          direction: "top",
          offset: [0, -8],
          className: "commune-tooltip",
          opacity: 1,
        });
        layer.on("mouseover", () => layer.setStyle(HOVER_STYLE));
        layer.on("mouseout", () => {
          if (!layer.getElement()?.matches(":focus-visible")) layer.setStyle(BASE_STYLE);
        });
        layer.on("add", () => {
          const path = layer.getElement();
          if (!path) return;
          path.classList.add("commune-path");
          path.dataset.code = code;
          path.setAttribute("role", "button");
          path.setAttribute("aria-label", t("commune_zoom", { commune: nom }));
          path.setAttribute("tabindex", position.get(code) === 0 ? "0" : "-1");
          path.addEventListener("focus", () => {
            // Keyboard focus only: re-ordering the SVG on a mouse press would swallow the click.
            if (!path.matches(":focus-visible")) return;
            // The outline is redrawn on top by a separate layer: moving the focused path in
            // the SVG (bringToFront) would blur it.
            collection._highlight(layer);
            layer.openTooltip(layer.getCenter());
          });
          path.addEventListener("blur", () => {
            layer.setStyle(BASE_STYLE);
            collection._highlight(null);
            layer.closeTooltip();
          });
          path.addEventListener("keydown", (event) => collection._onKey(event, layer, code, order, position));
        });
      },
    });
    return this._layer;
  }

  _highlight(layer) {
    if (!this._focusOutline) {
      this._focusOutline = L.polygon([], { ...FOCUS_STYLE, fill: false, interactive: false, pane: "communeFocus" });
    }
    const map = this._layer?._map;
    if (!layer || !map) {
      this._focusOutline.remove();
      return;
    }
    layer.setStyle({ fillOpacity: FOCUS_STYLE.fillOpacity });
    this._focusOutline.setLatLngs(layer.getLatLngs()).addTo(map);
  }

  _onKey(event, layer, code, order, position) {
    const index = position.get(code);
    let next;
    switch (event.key) {
      case "ArrowRight":
      case "ArrowDown":
        next = order[(index + 1) % order.length];
        break;
      case "ArrowLeft":
      case "ArrowUp":
        next = order[(index - 1 + order.length) % order.length];
        break;
      case "Home":
        next = order[0];
        break;
      case "End":
        next = order[order.length - 1];
        break;
      case "Enter":
      case " ":
        event.preventDefault();
        event.stopPropagation();
        layer._map?.fitBounds(layer.getBounds(), { maxZoom: 15 });
        return;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
    const target = this._layersByCode.get(next);
    const map = layer._map;
    if (!target || !map) return;
    layer.getElement()?.setAttribute("tabindex", "-1");
    const path = target.getElement();
    path?.setAttribute("tabindex", "0");
    const center = target.getCenter();
    if (!map.getBounds().contains(center)) map.panTo(center, { animate: false });
    path?.focus({ preventScroll: true });
  }
}

const BASE_STYLE = { color: "#35516e", weight: 1.2, opacity: 0.85, fillColor: "#35516e", fillOpacity: 0.03 };
const HOVER_STYLE = { color: "#123c69", weight: 2.5, opacity: 1, fillOpacity: 0.1 };
const FOCUS_STYLE = { color: "#0b0c0c", weight: 3.5, opacity: 1, fillOpacity: 0.12 };

// ---------------------------------------------------------------------------

// A flat report object (POST answer) as a GeoJSON Feature, the shape GET /reports uses.
export function reportToFeature(report) {
  const { lat, lon, status, ...properties } = report;
  return { type: "Feature", id: report.id, geometry: { type: "Point", coordinates: [lon, lat] }, properties };
}

function reportPopup(feature) {
  const p = feature.properties;
  const root = el("article", "report-popup");
  root.append(el("h3", "report-popup__title", p.title));

  const theme = el("p", "report-popup__theme");
  const swatch = el("span", "swatch");
  swatch.setAttribute("aria-hidden", "true");
  swatch.style.backgroundColor = p.color || "#555";
  theme.append(swatch, document.createTextNode(p.theme_label || p.theme));
  root.append(theme);

  const meta = el("p", "report-popup__meta");
  const where = p.arrondissement?.nom ? `${p.commune?.nom} — ${p.arrondissement.nom}` : p.commune?.nom;
  if (where) meta.append(el("span", "report-popup__commune", t("commune_of", { commune: where })));
  if (p.approximate) meta.append(el("span", "badge badge--approx", t("approximate")));
  if (p.location_text) meta.append(el("span", "report-popup__location", p.location_text));
  const date = formatDate(p.created_at);
  if (date) meta.append(el("span", "report-popup__date", t("posted_on", { date })));
  if (p.author_name) meta.append(el("span", "report-popup__author", t("posted_by", { name: p.author_name })));
  root.append(meta);

  if (p.description) root.append(el("p", "report-popup__description", p.description));
  if (p.tags?.length) {
    const list = el("ul", "report-popup__tags");
    list.setAttribute("aria-label", t("tags_label"));
    for (const tag of p.tags) list.append(el("li", "tag", tag));
    root.append(list);
  }
  return root;
}

// A fixed report (civic loop) is muted with a check mark, and says so to screen readers.
function reportLabel(p) {
  return t(p.progress === "fixed" ? "report_label_fixed" : "report_label", { title: p.title, theme: p.theme_label || p.theme });
}

function reportIcon(p) {
  const size = markerSize(p.support);
  const fixed = p.progress === "fixed";
  const dot = el("span", "report-marker__dot");
  dot.style.backgroundColor = p.color || "#555";
  const label = el("span", "visually-hidden", reportLabel(p));
  const wrapper = el("span", "report-marker__inner");
  wrapper.style.setProperty("--marker-size", `${size}px`);
  wrapper.append(dot, label);
  if (fixed) {
    const check = el("span", "report-marker__check", "✓");
    check.setAttribute("aria-hidden", "true");
    wrapper.append(check);
  }
  return L.divIcon({
    html: wrapper,
    className: `report-marker${p.approximate ? " report-marker--approx" : ""}${fixed ? " report-marker--fixed" : ""}`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
    popupAnchor: [0, -size / 2 + 2],
  });
}

function clusterIcon(cluster) {
  const markers = cluster.getAllChildMarkers();
  const counts = new Map();
  for (const marker of markers) {
    const color = marker.options.themeColor || "#555";
    counts.set(color, (counts.get(color) || 0) + 1);
  }
  const count = cluster.getChildCount();
  const size = clusterIconSize(count);
  const ring = el("span", "cluster__ring"); // its segments show the mix of themes in the group
  ring.style.background = themeRing(counts, markers.length);
  const number = el("span", "cluster__count", formatNumber(count, 0));
  number.setAttribute("aria-hidden", "true");
  const label = el("span", "visually-hidden", t("cluster_label", { count }));
  const wrapper = el("span", "cluster__inner");
  wrapper.append(ring, number, label);
  return L.divIcon({ html: wrapper, className: "report-cluster", iconSize: [size, size] });
}

// ---------------------------------------------------------------------------
// Server clusters (GET /api/v1/reports?zoom=): a view holding more reports than the point
// threshold comes back as one group per grid cell, with its true count and theme mix.

function serverClusterIcon(feature, colors) {
  const { count, themes = {} } = feature.properties;
  const size = serverClusterIconSize(count);
  const ring = el("span", "cluster__ring");
  ring.style.background = themeRing(Object.entries(themes).map(([slug, n]) => [colors.get(slug) || "#555", n]), count);
  const number = el("span", "cluster__count", formatCount(count));
  number.setAttribute("aria-hidden", "true");
  const wrapper = el("span", "cluster__inner");
  wrapper.append(ring, number);
  return L.divIcon({ html: wrapper, className: "report-cluster report-cluster--server", iconSize: [size, size] });
}

// What is drawn over the map: a report's popup must not open under any of them.
const MAP_OVERLAYS = ".leaflet-control, .legend, .map-help, .map-notice, .toast--visible, #list-toggle, .panel";

function overlaysOf(popupNode) {
  const shown = (n) => !n.hidden && getComputedStyle(n).display !== "none" && n.getClientRects().length > 0;
  return [...document.querySelectorAll(MAP_OVERLAYS)]
    .filter((n) => !n.contains(popupNode) && shown(n))
    .map((n) => n.getBoundingClientRect());
}

// A report's popup opens seen whole: Leaflet's autoPan (same moment, same position maths as Leaflet 1.9's
// Popup._adjustPan) with a target that also keeps it clear of the controls, the legend and the help line.
const SETTLE_MS = 1500;
const ReportPopup = L.Popup.extend({
  keepInSight() {
    this._adjustPan();
  },

  onAdd(map) {
    this._openedAt = performance.now();
    L.Popup.prototype.onAdd.call(this, map);
  },

  // Just after opening, the map may still move on its own (markercluster centring the marker, the view's
  // reports loading): look again after each move, and leave the map to the resident after that.
  getEvents() {
    const events = L.Popup.prototype.getEvents.call(this);
    events.moveend = () => {
      if (this._settling || performance.now() - this._openedAt >= SETTLE_MS) return;
      this._settling = true; // our own pan ends with a moveend too
      try {
        this._adjustPan();
      } finally {
        this._settling = false;
      }
    };
    return events;
  },

  _adjustPan() {
    if (!this.options.autoPan || !this._map) return;
    const map = this._map;
    // Opened as a zoom starts (a marker coming out of its cluster): measure once the zoom is over.
    if (map._animatingZoom) {
      map.once("zoomend", () => this._map && this._adjustPan());
      return;
    }
    if (map._panAnim) map._panAnim.stop();
    const height = this._container.offsetHeight + (parseInt(getComputedStyle(this._container).marginBottom, 10) || 0);
    const topLeft = L.point(this._containerLeft, -height - this._containerBottom)._add(L.DomUtil.getPosition(this._container));
    const at = map.layerPointToContainerPoint(topLeft);
    const frame = map.getContainer().getBoundingClientRect();
    const left = frame.left + at.x;
    const top = frame.top + at.y;
    const box = { left, top, right: left + this._containerWidth, bottom: top + height };
    const { dx, dy } = clearOffset(box, frame, overlaysOf(this._container));
    // At once: the map redraws and re-clusters while a popup opens, and each redraw asks again, so an animated
    // pan would be stopped and restarted a few pixels at a time.
    if (dx || dy) map.fire("autopanstart").panBy([-dx, -dy], { animate: false });
  },
});

export class ServerClusters {
  constructor() {
    this.layer = L.layerGroup();
    this.colors = new Map();
    this.features = [];
  }

  setThemes(themes) {
    this.colors = new Map(themes.map((theme) => [theme.slug, theme.color]));
  }

  show(features) {
    this.features = features;
    this.layer.clearLayers();
    for (const feature of features) {
      const [lon, lat] = feature.geometry.coordinates;
      const label = t("cluster_label", { count: formatCount(feature.properties.count) });
      // keyboard: true puts the marker in the Tab order; Enter and Space zoom as a click does.
      const marker = L.marker([lat, lon], { icon: serverClusterIcon(feature, this.colors), title: label, keyboard: true });
      marker.on("add", () => {
        const node = marker.getElement();
        node?.setAttribute("role", "button");
        node?.setAttribute("aria-label", label);
        if (!node) return;
        node.dataset.count = String(feature.properties.count);
        node.addEventListener("keydown", (event) => {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault();
          event.stopPropagation();
          this.zoomInto(feature, marker._map);
        });
      });
      marker.on("click", () => this.zoomInto(feature, marker._map));
      this.layer.addLayer(marker);
    }
  }

  clear() {
    this.show([]);
  }

  // Zooms to the group's extent, at least one level deeper, so that it always splits or opens.
  zoomInto(feature, map) {
    if (!map) return;
    const [minLon, minLat, maxLon, maxLat] = feature.properties.bbox;
    const bounds = L.latLngBounds([minLat, minLon], [maxLat, maxLon]);
    const deeper = Math.min(map.getMaxZoom(), Math.floor(map.getZoom()) + 1);
    const fit = minLon === maxLon && minLat === maxLat ? map.getMaxZoom() : map.getBoundsZoom(bounds.pad(0.1));
    map.setView(bounds.getCenter(), Math.max(deeper, Math.min(fit, map.getMaxZoom())));
    map.getContainer().focus({ preventScroll: true });
  }
}

export class ReportCollection {
  constructor() {
    this.features = new Map();
    this._markers = new Map();
    this._layer = null;
  }

  get size() {
    return this.features.size;
  }

  // Adds features not seen yet; returns the number added.
  addFeatures(features) {
    const fresh = [];
    for (const feature of features) {
      const id = String(feature.id ?? feature.properties.id);
      if (this.features.has(id)) continue;
      this.features.set(id, feature);
      fresh.push([id, feature]);
    }
    if (this._layer && fresh.length) this._layer.addLayers(fresh.map(([id, f]) => this._marker(id, f)));
    return fresh.length;
  }

  marker(id) {
    return this._markers.get(String(id)) || null;
  }

  // Forgets every report: the filter changed, the next answers fill it again.
  clear() {
    this.features.clear();
    this._markers.clear();
    this._layer?.clearLayers();
  }

  _marker(id, feature) {
    const [lon, lat] = feature.geometry.coordinates;
    const p = feature.properties;
    const marker = L.marker([lat, lon], {
      icon: reportIcon(p),
      title: reportLabel(p),
      keyboard: true,
      riseOnHover: true,
      themeColor: p.color,
    });
    marker.bindPopup(new ReportPopup({ maxWidth: 320, minWidth: 220, className: "report-popup-wrapper" }).setContent(() => reportPopup(feature)));
    this._markers.set(id, marker);
    return marker;
  }

  layer() {
    if (this._layer) return this._layer;
    this._layer = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 48,
      spiderfyOnMaxZoom: true,
      chunkedLoading: true,
      animate: !reducedMotion,
      iconCreateFunction: clusterIcon,
    });
    this._layer.addLayers([...this.features].map(([id, f]) => this._marker(id, f)));
    return this._layer;
  }
}

// ---------------------------------------------------------------------------

const PIN_STEP = 10; // pixels per arrow key press; Shift multiplies by 5

export class CarteMap extends EventTarget {
  constructor(element, { tileUrl = "", tileAttribution = "", dataAttribution = "", center, zoom } = {}) {
    super();
    this.element = element;
    this.dataAttribution = dataAttribution;
    this.map = L.map(element, {
      center: center || [48.8566, 2.3522],
      zoom: zoom || 11,
      minZoom: 9,
      zoomSnap: 0.25,
      maxZoom: 19,
      maxBounds: MGP_BOUNDS,
      maxBoundsViscosity: 0.8,
      zoomControl: true,
      ...mapMotion,
    });
    this.map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    // Commune outlines go before the markers in the DOM, hence in the Tab order: one stop for
    // all the communes (roving tabindex), then the reports.
    const markerPane = this.map.getPane("markerPane");
    for (const [name, zIndex] of [["communes", 350], ["communeFocus", 360]]) {
      const pane = this.map.createPane(name);
      pane.style.zIndex = zIndex;
      markerPane.before(pane);
    }
    this.map.zoomControl.getContainer().querySelectorAll("a").forEach((a) => a.setAttribute("role", "button"));

    this.tileErrors = 0;
    if (tileUrl) {
      this.tiles = L.tileLayer(tileUrl, { attribution: tileAttribution, maxZoom: 19, crossOrigin: false });
      this.tiles.on("tileerror", () => {
        this.tileErrors += 1;
        if (this.tileErrors === 1) {
          element.classList.add("map--no-tiles");
          this._emit("tileerror", {});
        }
      });
      this.tiles.on("tileload", () => element.classList.remove("map--no-tiles"));
      this.tiles.addTo(this.map);
    } else {
      element.classList.add("map--no-tiles");
    }

    // A marker's popup sits after every marker in the DOM, so Tab skipped it and Escape did nothing:
    // opened from its marker by keyboard (Leaflet opens it on the marker's Enter keypress) it takes the focus,
    // and Escape gives it back to the marker. Opened by code with its marker focused (showReport again after
    // the next load on a slow device, markercluster adding the marker back), it leaves the focus there.
    // Closed by the resident (Escape, its button), a report that showReport keeps shown is let go at once:
    // during markercluster's animations its guard cannot tell their close from the map's own.
    const dismiss = (popup) => {
      if (this._showing?.marker === popup._source) this._showing.end();
    };
    let keyTarget = null;
    element.addEventListener(
      "keypress",
      (event) => {
        keyTarget = event.target;
        setTimeout(() => (keyTarget = null), 0);
      },
      true,
    );
    this.map.on("popupopen", ({ popup }) => {
      const marker = popup._source?.getElement?.();
      const box = popup.getElement();
      if (marker && keyTarget === marker) {
        setTimeout(() => box.querySelector(".leaflet-popup-content button, .leaflet-popup-content a[href]")?.focus(), 0);
      }
      if (box.dataset.keyboard) return;
      box.dataset.keyboard = "true";
      box.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") return;
        event.stopPropagation();
        const source = popup._source?.getElement?.();
        dismiss(popup);
        this.map.closePopup(popup);
        source?.focus({ preventScroll: true });
      });
      box.querySelector(".leaflet-popup-close-button")?.addEventListener("click", () => dismiss(popup));
    });

    this.map.on("click", (event) => this._emit("pick", { latlng: event.latlng }));
    this.map.on("moveend", () => this._emit("moveend", { bounds: this.map.getBounds() }));
    // Enter on the focused map places a pin at its centre (the crosshair shown on focus).
    element.addEventListener("keydown", (event) => {
      if (event.target === element && event.key === "Enter") {
        event.preventDefault();
        this._emit("pick", { latlng: this.map.getCenter(), keyboard: true });
      }
    });
    this.pin = null;
  }

  // Something new was drawn over the map (a notice): the open report popup moves clear of it.
  keepPopupInSight() {
    this.map._popup?.keepInSight?.();
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // `fit: false` keeps the view (one restored from the address, see url-state.js).
  setCommunes(communes, { fit = true } = {}) {
    this.communes = communes;
    const layer = communes.layer({ attribution: escapeHtml(this.dataAttribution) });
    layer.addTo(this.map);
    // At once, not animated: the page's first view. An animated fit ended after the first reports were
    // asked for, so the view's reports were asked for twice and the clusters redrawn once more.
    if (fit) this.map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
    this.element.dataset.communes = String(communes.size);
    labelCommunesWithoutTiles(this.map, this.tiles, communes.geojson, { failed: this.tileErrors > 0 });
  }

  setReports(reports) {
    this.reports = reports;
    reports.layer().addTo(this.map);
    this.clusters = new ServerClusters();
    this.clusters.layer.addTo(this.map);
    this.clustered = false;
  }

  // A view's answer: its server clusters (the report markers step aside), or its reports.
  showView(collection) {
    if (collection.clustered) {
      this.clusters.show(collection.features || []);
      if (this.map.hasLayer(this.reports.layer())) this.map.removeLayer(this.reports.layer());
    } else {
      this.clusters.clear();
      if (!this.map.hasLayer(this.reports.layer())) this.reports.layer().addTo(this.map);
    }
    this.clustered = Boolean(collection.clustered);
    this.showTotal(collection.total);
  }

  // « 930 412 signalements dans la vue »: the true count, whatever the map can draw.
  showTotal(total) {
    if (!this.totalControl) {
      const TotalControl = L.Control.extend({
        onAdd: () => {
          const node = el("p", "map-total");
          node.id = "map-total";
          node.setAttribute("role", "status");
          node.setAttribute("aria-live", "polite");
          L.DomEvent.disableClickPropagation(node);
          return node;
        },
      });
      this.totalControl = new TotalControl({ position: "bottomleft" });
      this.totalControl.addTo(this.map);
    }
    const node = this.totalControl.getContainer();
    const key = total === 0 ? "total_none" : total === 1 ? "total_one" : "total_many";
    node.textContent = t(key, { count: formatCount(total) });
    node.dataset.total = String(total);
  }

  // Zooms until the report's marker is out of its cluster, then opens its popup.
  showReport(id, { focus = false } = {}) {
    const marker = this.reports?.marker(id);
    if (!marker) return;
    let dismissed = false;
    const show = () => {
      if (dismissed) return;
      marker.openPopup();
      marker.getPopup().keepInSight(); // also when it was open already and the marker moved (spiderfied)
      const active = document.activeElement;
      if (focus && (!active || active === document.body || active === this.element || active === marker.getElement()))
        marker.getElement()?.focus({ preventScroll: true });
    };
    // For a few seconds, what the map does next must not hide it again: re-clustering after the zoom can take
    // the marker off the map and put it back (a new element, its popup closed), a zoom's end can close its
    // popup, and newly loaded reports fold a spiderfied marker back into its group (reports at the same
    // place, e.g. at a commune's centre), which left the focus on <body>.
    const group = this.reports.layer();
    // Never a zoom to the marker from inside another: without animations (reduced motion) markercluster's moves
    // end inside the call, and their end asked for the same zoom again, until the stack overflowed. Asked for
    // meanwhile, it is tried again once the call has returned.
    let revealing = false;
    let askedAgain = false;
    const reveal = () => {
      if (revealing) {
        askedAgain = true;
        return;
      }
      revealing = true;
      try {
        group.zoomToShowLayer(marker, show);
      } finally {
        revealing = false;
      }
      if (askedAgain) {
        askedAgain = false;
        setTimeout(again, 0);
      }
    };
    const again = () => {
      if (!marker._map || !marker.getElement()) reveal();
      else if (!marker.isPopupOpen()) show();
    };
    // Closed with its marker still drawn, the popup was closed by the resident (Escape, its button, a click on
    // the map, another report opened): the map is theirs again at once, even before the zoom above has ended,
    // or their next move would bring them back here. Re-clustering closes it with the marker already off the
    // map (no element), and folding a fan back closes it during markercluster's animation (its own counter,
    // markercluster 1.5): those are shown again. Escape and the close button end it themselves (dismiss), even then.
    const closed = () => {
      if (!marker.getElement() || group._inZoomAnimation) return;
      end();
    };
    const events = "animationend unspiderfied";
    const stop = () => {
      clearTimeout(timer);
      marker.off("add", show);
      marker.off("popupclose", closed);
      group.off(events, again);
      this.map.off("zoomend", again);
      if (this._showing?.end === end) this._showing = null;
    };
    // Closed by the resident, or another report shown: this one is not shown again, even by a zoom under way.
    const end = () => {
      dismissed = true;
      stop();
    };
    // Another report shown before gives way to this one (the two used to take turns); the same one shown again
    // (just created, then its panel closed) keeps both.
    if (this._showing && this._showing.marker !== marker) this._showing.end();
    this._showing = { marker, end };
    marker.on("add", show);
    marker.on("popupclose", closed);
    group.on(events, again);
    this.map.on("zoomend", again);
    const timer = setTimeout(stop, 3000);
    reveal();
  }

  placePin(latlng, { pan = true } = {}) {
    if (!this.pin) {
      const icon = L.divIcon({
        className: "pin-marker",
        html: el("span", "pin-marker__shape"),
        iconSize: [30, 42],
        iconAnchor: [15, 40],
      });
      this.pin = L.marker(latlng, {
        icon,
        draggable: true,
        autoPan: true,
        keyboard: true,
        title: t("pin_label"),
        alt: t("pin_label"),
        zIndexOffset: 1000,
        bubblingMouseEvents: false,
      });
      this.pin.on("dragend", () => {
        const moved = this.pin.getLatLng();
        this.element.dataset.pin = `${moved.lat.toFixed(6)},${moved.lng.toFixed(6)}`;
        this._emit("pinmove", { latlng: moved });
      });
      this.pin.on("add", () => {
        const node = this.pin.getElement();
        node.setAttribute("aria-label", t("pin_label"));
        node.addEventListener("keydown", (event) => this._onPinKey(event));
      });
      this.pin.addTo(this.map);
    } else {
      this.pin.setLatLng(latlng);
      if (!this.map.hasLayer(this.pin)) this.pin.addTo(this.map);
    }
    if (pan) this.map.panInside(latlng, { padding: [60, 60] });
    this.element.dataset.pin = `${latlng.lat.toFixed(6)},${latlng.lng.toFixed(6)}`;
  }

  _onPinKey(event) {
    const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    event.stopPropagation();
    const step = event.shiftKey ? PIN_STEP * 5 : PIN_STEP;
    const point = this.map.latLngToContainerPoint(this.pin.getLatLng()).add([move[0] * step, move[1] * step]);
    const latlng = this.map.containerPointToLatLng(point);
    this.pin.setLatLng(latlng);
    this.map.panInside(latlng, { padding: [40, 40] });
    this.element.dataset.pin = `${latlng.lat.toFixed(6)},${latlng.lng.toFixed(6)}`;
    this._emit("pinmove", { latlng, keyboard: true });
  }

  removePin() {
    if (this.pin && this.map.hasLayer(this.pin)) this.pin.remove();
    delete this.element.dataset.pin;
  }

  focusPin() {
    this.pin?.getElement()?.focus({ preventScroll: true });
  }

  // After a side panel opened or closed. With a pin, the map's left edge stays where it was (no 208 px
  // shift under the pointer) and the pin is brought into the part of the map that nothing covers:
  // `cover` is a panel laid over the map (the phone's bottom sheet), whose height is kept clear.
  // Without one, the centre stays (the list shows the reports around it).
  invalidate(cover = null) {
    const pinned = Boolean(this.pin && this.map.hasLayer(this.pin));
    this.map.invalidateSize({ pan: !pinned });
    if (!pinned) return;
    const box = this.element.getBoundingClientRect();
    let bottom = 40;
    if (cover && !cover.hidden) {
      const sheet = cover.getBoundingClientRect();
      if (sheet.top < box.bottom && sheet.left <= box.left + 1 && sheet.right >= box.right - 1) bottom += box.bottom - sheet.top;
    }
    this.map.panInside(this.pin.getLatLng(), { paddingTopLeft: [60, 60], paddingBottomRight: [40, bottom], animate: false });
  }
}
