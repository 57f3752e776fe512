// Every map credits its data sources (IGN, Ville de Paris, Etalab) and, when shown, its tiles.

// For the few Leaflet options that only take HTML (attributions, layer names): text in, inert HTML out.
export function escapeHtml(text) {
  const node = document.createElement("span");
  node.textContent = text;
  return node.innerHTML;
}

// Leaflet's attribution control takes HTML: our credit strings go in escaped.
export function addBaseLayers(map, dataset) {
  if (dataset.tileUrl) {
    L.tileLayer(dataset.tileUrl, { attribution: escapeHtml(dataset.tileAttribution || ""), maxZoom: 19 }).addTo(map);
  }
  if (dataset.dataAttribution) map.attributionControl.addAttribution(escapeHtml(dataset.dataAttribution));
}
