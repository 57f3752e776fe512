// Participants' page of a workshop (/a/<code>): mobile first, a pin on the map or only a commune.
import { request } from "./api.js";
import { addBaseLayers, labelCommunesWithoutTiles } from "./credits.js";
import { t } from "./i18n.js";
import { mapMotion } from "./motion.js";

const root = document.getElementById("join");
const form = document.getElementById("join-form");

if (form) {
  const code = root.dataset.code;
  const message = document.getElementById("join-message");
  const communeField = document.getElementById("commune-field");
  const mapBox = document.getElementById("join-map");
  const hint = document.getElementById("pin-hint");
  let pin = null;

  const map = L.map(mapBox, { zoomSnap: 0.5, ...mapMotion }).setView([48.8566, 2.3522], 11);
  const tiles = addBaseLayers(map, root.dataset);
  // The view the participant chose wins over the fit below when the outlines arrive late.
  let touched = false;
  map.once("dragstart zoomstart", () => { touched = true; });
  const communes = request("/communes");
  labelCommunesWithoutTiles(map, tiles, communes);
  communes.then((geojson) => {
    const outlines = L.geoJSON(geojson, { interactive: false, style: { weight: 0.8, color: "#123c69", fillOpacity: 0.05 } }).addTo(map);
    // The room's own territory fills the screen; without one, the whole Métropole does.
    const territoire = root.dataset.territoire;
    const own = territoire ? outlines.getLayers().filter((layer) => layer.feature.properties.territoire_code === territoire) : [];
    const bounds = own.length ? L.featureGroup(own).getBounds() : outlines.getBounds();
    // At once: a tap while an animated fit ran landed wherever the map was passing through.
    if (bounds.isValid() && !touched && !pin) map.fitBounds(bounds, { padding: [8, 8], animate: false });
  }).catch(() => {});
  map.on("click", (event) => {
    if (pin) pin.setLatLng(event.latlng);
    else pin = L.circleMarker(event.latlng, { radius: 10, color: "#123c69", weight: 3, fillColor: "#f4a261", fillOpacity: 0.9 }).addTo(map);
    mapBox.dataset.pinned = "true";
  });

  function mode() {
    return form.querySelector('input[name="mode"]:checked').value;
  }
  for (const radio of form.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => {
      const byCommune = mode() === "commune";
      communeField.hidden = !byCommune;
      mapBox.hidden = byCommune;
      hint.hidden = byCommune;
      if (!byCommune) setTimeout(() => map.invalidateSize(), 0);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const payload = { theme: data.get("theme"), title: String(data.get("title") || "").trim(), description: String(data.get("description") || "").trim() };
    if (mode() === "commune") {
      if (!data.get("commune")) return say(t("need_place"), true);
      payload.commune = data.get("commune");
    } else {
      if (!pin) return say(t("need_place"), true);
      const { lat, lng } = pin.getLatLng();
      payload.lat = lat;
      payload.lon = lng;
    }
    if (!payload.theme) return say(t("need_theme"), true);
    if (!payload.title) return say(t("need_title"), true);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    say(t("sending"));
    try {
      const report = await request(`/ateliers/${encodeURIComponent(code)}/signalements`, { method: "POST", body: payload });
      say(t("sent", { commune: report.commune?.nom || report.commune_name || report.commune_code || "" }));
      form.elements.title.value = "";
      form.elements.description.value = "";
      if (pin) { pin.remove(); pin = null; delete mapBox.dataset.pinned; }
    } catch (error) {
      say(error.message, true);
    } finally {
      button.disabled = false;
    }
  });

  function say(text, isError = false) {
    message.textContent = text;
    message.classList.toggle("is-error", isError);
  }
}
