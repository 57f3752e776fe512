// Every map credits its data sources (IGN, Ville de Paris, Etalab) and, when shown, its tiles.

// For the few Leaflet options that only take HTML (attributions, layer names): text in, inert HTML out.
export function escapeHtml(text) {
  const node = document.createElement("span");
  node.textContent = text;
  return node.innerHTML;
}

// Leaflet's attribution control takes HTML: our credit strings go in escaped.
// Returns the tile layer, or null when no tile server is configured.
export function addBaseLayers(map, dataset) {
  let tiles = null;
  if (dataset.tileUrl) {
    tiles = L.tileLayer(dataset.tileUrl, { attribution: escapeHtml(dataset.tileAttribution || ""), maxZoom: 19 }).addTo(map);
    noticeWhenTilesFail(map, tiles, dataset.tilesUnavailable);
  }
  if (dataset.dataAttribution) map.attributionControl.addAttribution(escapeHtml(dataset.dataAttribution));
  return tiles;
}

// Without tiles (offline workshop laptop, or no tile server configured) nothing names the places:
// commune names are drawn over the outlines from `minZoom` on, as text nodes (never HTML).
export function addCommuneLabels(map, geojson, { minZoom = 12 } = {}) {
  const labels = L.layerGroup();
  for (const feature of geojson.features || []) {
    const { nom, rep_point: point } = feature.properties || {};
    if (!nom || !Array.isArray(point)) continue;
    const text = document.createElement("span");
    text.textContent = nom;
    labels.addLayer(L.tooltip({ permanent: true, direction: "center", className: "commune-label", interactive: false })
      .setLatLng([point[1], point[0]]).setContent(text));
  }
  const update = () => {
    if (map.getZoom() >= minZoom) labels.addTo(map);
    else labels.remove();
  };
  map.on("zoomend", update);
  update();
  return labels;
}

// Commune names replace the tiles' place names when there are no tiles, or once the first tile
// fails (an offline workshop laptop): `communes` is the GeoJSON of /api/v1/communes, or a promise of it.
// `failed`: the tiles already failed before this call.
export function labelCommunesWithoutTiles(map, tiles, communes, { failed = false } = {}) {
  let labelled = false;
  const label = () => {
    if (labelled) return;
    labelled = true;
    Promise.resolve(communes).then((geojson) => addCommuneLabels(map, geojson)).catch(() => {});
  };
  if (tiles && !failed) tiles.once("tileerror", label);
  else label();
}

// The first tile that fails to load says so once, on the map itself, as text.
export function noticeWhenTilesFail(map, layer, message) {
  if (!layer || !message) return;
  layer.once("tileerror", () => {
    const notice = L.control({ position: "bottomleft" });
    notice.onAdd = () => {
      const box = L.DomUtil.create("p", "tiles-notice");
      box.setAttribute("role", "status");
      box.textContent = message;
      return box;
    };
    notice.addTo(map);
  });
}
