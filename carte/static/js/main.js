// Wires the page together: the map, the data it shows, the report form and the messages.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { pageConfig } from "./page-config.js";
import { CarteMap, CommuneCollection, ReportCollection, reportToFeature } from "./map.js";
import { ReportForm } from "./report-form.js";
import { SimilarSuggestions, st } from "./similar.js";
import { UrlState, parseState } from "./url-state.js";

const REPORT_DEBOUNCE_MS = 250;
const config = pageConfig();

const $ = (selector) => document.querySelector(selector);

function showNotice(text, { tone = "info", timeout = 0 } = {}) {
  const notice = $("#map-notice");
  notice.textContent = text;
  notice.dataset.tone = tone;
  notice.hidden = !text;
  if (text) window.carte?.carte?.keepPopupInSight();
  clearTimeout(showNotice.timer);
  if (timeout) showNotice.timer = setTimeout(() => (notice.hidden = true), timeout);
}

// On a phone the header's actions scroll sideways: the focused one comes fully into view.
document.querySelector(".site-nav ul")?.addEventListener("focusin", (event) => {
  event.target.scrollIntoView({ block: "nearest", inline: "nearest" });
});

const PROGRESS_CHOICES = { open: "submitted,acknowledged,in_progress", fixed: "fixed" };

function confirm(text) {
  const toast = $("#confirmation");
  toast.textContent = text;
  toast.classList.add("toast--visible");
  clearTimeout(confirm.timer);
  confirm.timer = setTimeout(() => toast.classList.remove("toast--visible"), 6000);
}

function renderLegend(themes) {
  const list = $("#legend-themes");
  list.replaceChildren(
    ...themes.map((theme) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "legend-symbol legend-symbol--theme";
      swatch.style.backgroundColor = theme.color;
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, document.createTextNode(theme.label));
      return item;
    }),
  );
}

function bboxParam(bounds) {
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((n) => n.toFixed(5)).join(",");
}

function start() {
  const mapElement = $("#map");
  // A view in the address (#carte=zoom/lat/lon) wins over the default one and the communes' fit.
  const addressView = parseState(window.location.href).view;
  const carte = new CarteMap(mapElement, addressView ? { ...config, center: [addressView.lat, addressView.lon], zoom: addressView.zoom } : config);
  const reports = new ReportCollection();
  carte.setReports(reports);
  const form = new ReportForm($("#report-panel"));
  let communes = null;

  const urlState = new UrlState(carte);
  urlState.start(() => window.carte?.participation || null);
  // « Je soutiens plutôt celui-ci »: supported instead of filed; the form closes, the report opens.
  const similar = new SimilarSuggestions(form);
  similar.addEventListener("supported", (event) => {
    form.reset();
    form.close({ restoreFocus: false });
    confirm(st("supported"));
    window.carte.participation?.openReport(event.detail.id);
  });

  // Debugging and end-to-end test hook (like uMap's global): read-only use please.
  window.carte = { map: carte.map, carte, reports, form, similar, urlState, get communes() { return communes; } };

  // Legend: open by default on large screens only.
  if (window.matchMedia("(max-width: 48rem)").matches) $("#legend").open = false;

  carte.addEventListener("tileerror", () => showNotice(t("tiles_unavailable"), { timeout: 12000 }));

  // -- data ------------------------------------------------------------------
  const themesLoaded = api
    .themes()
    .then((themes) => {
      renderLegend(themes);
      form.setThemes(themes);
      carte.clusters.setThemes(themes);
    })
    .catch((error) => showNotice(t("load_themes_failed", { message: error.message }), { tone: "error" }));

  const communesLoaded = api
    .communes()
    .then((geojson) => {
      communes = new CommuneCollection(geojson);
      carte.setCommunes(communes, { fit: !urlState.keepsView });
      form.setCommunes(communes.sortedByName());
      form.locateCommune = (lat, lon) => communes.locate(lat, lon);
    })
    .catch((error) => showNotice(t("load_communes_failed", { message: error.message }), { tone: "error" }));

  let reportRequest = null;
  let justCreated = null; // {id, at}
  let reportTimer = null;
  // The map is busy (aria-busy) from a move until the reports of the view it stopped on are drawn: screen
  // readers wait for it, and so can the browser tests.
  async function loadReports() {
    reportRequest?.abort();
    const controller = new AbortController();
    reportRequest = controller;
    mapElement.setAttribute("aria-busy", "true");
    // The whole view at once: its reports, or above the server's threshold its clusters with
    // their true counts. Nothing is cut: the answer's total is what the view holds.
    const params = { bbox: bboxParam(carte.map.getBounds()), zoom: Math.round(carte.map.getZoom()) };
    if (PROGRESS_CHOICES[progressFilter.value]) params.progress = PROGRESS_CHOICES[progressFilter.value];
    try {
      const collection = await api.reports(params, { signal: controller.signal });
      carte.showView(collection);
      if (!collection.clustered) {
        const added = reports.addFeatures(collection.features || []);
        // Newly loaded neighbours can pull a just-created report back into a cluster, which
        // closes its popup: show it again.
        if (added && justCreated && Date.now() - justCreated.at < 5000) carte.showReport(justCreated.id, { focus: true });
      }
      mapElement.dataset.clustered = String(Boolean(collection.clustered));
      mapElement.dataset.total = String(collection.total);
      mapElement.dataset.reports = String(reports.size);
    } catch (error) {
      if (error.name !== "AbortError") showNotice(t("load_reports_failed", { message: error.message }), { tone: "error" });
    } finally {
      if (reportRequest === controller && reportTimer === null) mapElement.removeAttribute("aria-busy");
    }
  }
  carte.addEventListener("moveend", () => {
    clearTimeout(reportTimer);
    mapElement.setAttribute("aria-busy", "true");
    reportTimer = setTimeout(() => {
      reportTimer = null;
      loadReports();
    }, REPORT_DEBOUNCE_MS);
  });
  // Where the reports stand (issue 13): all of them, those still open, or those fixed.
  const progressFilter = $("#progress-filter");
  progressFilter.addEventListener("change", () => {
    reports.clear();
    loadReports();
  });

  Promise.allSettled([themesLoaded, communesLoaded]).then(async () => {
    clearTimeout(reportTimer); // the communes' fit moved the map: this load is the one its move asked for
    reportTimer = null;
    await loadReports();
    mapElement.dataset.state = "ready";
  });

  // -- placing a pin -------------------------------------------------------------
  function pick(latlng, { focus = true } = {}) {
    if (communes && communes.locate(latlng.lat, latlng.lng) === null) {
      showNotice(t("outside_area"), { tone: "error", timeout: 8000 });
      return false;
    }
    showNotice("");
    carte.placePin(latlng);
    form.openForMap(latlng, { focus });
    return true;
  }

  carte.addEventListener("pick", (event) => pick(event.detail.latlng));
  carte.addEventListener("pinmove", (event) => {
    if (form.isOpen && form.mode === "map") form.updatePosition(event.detail.latlng);
    else form.openForMap(event.detail.latlng, { focus: false });
  });
  form.addEventListener("focuspin", () => carte.focusPin());
  form.addEventListener("close", () => {
    carte.removePin();
    window.setTimeout(() => carte.invalidate(), 0);
  });
  // One side panel at a time: filing closes the list or detail of the reports in view.
  form.addEventListener("open", () => {
    const participation = window.carte?.participation;
    if (participation?.isOpen) participation.close({ restoreFocus: false });
    window.setTimeout(() => carte.invalidate(form.panel), 0);
  });

  $("#report-without-map").addEventListener("click", (event) => {
    carte.removePin();
    form.openWithoutMap(event.currentTarget);
    similar.clear(); // suggestions need a pin
  });

  const locateButton = $("#locate-me");
  locateButton.addEventListener("click", () => {
    if (!("geolocation" in navigator)) {
      showNotice(t("geolocation_unsupported"), { tone: "error" });
      return;
    }
    showNotice(t("geolocation_pending"));
    locateButton.setAttribute("aria-busy", "true");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locateButton.removeAttribute("aria-busy");
        const latlng = window.L.latLng(position.coords.latitude, position.coords.longitude);
        if (communes && communes.locate(latlng.lat, latlng.lng) === null) {
          showNotice(t("outside_area"), { tone: "error" });
          return;
        }
        carte.map.setView(latlng, Math.max(carte.map.getZoom(), 16), { animate: false }); // the pin is placed, then kept clear of the form
        pick(latlng);
      },
      (error) => {
        locateButton.removeAttribute("aria-busy");
        const key = error.code === error.PERMISSION_DENIED ? "geolocation_denied" : "geolocation_failed";
        showNotice(t(key), { tone: "error" });
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  });

  // -- a report was created ------------------------------------------------------------
  form.addEventListener("created", (event) => {
    const { report } = event.detail;
    carte.removePin();
    const commune = report.commune?.nom || "";
    if (report.status && report.status !== "published") {
      // Pre-moderation: nothing to show on the map yet.
      confirm(t("saved_pending", { commune }));
      mapElement.focus();
      return;
    }
    reports.addFeatures([reportToFeature(report)]);
    mapElement.dataset.reports = String(reports.size);
    confirm(t(report.approximate ? "saved_approximate" : "saved", { commune }));
    justCreated = { id: report.id, at: Date.now() };
    // In a clustered view the new report is one more in its group: count it again.
    if (carte.clustered) loadReports();
    else carte.showReport(report.id, { focus: true });
  });
}

if (!window.L || !window.L.markerClusterGroup) {
  // Vendor files missing: run "npm ci && node scripts/copy-vendor.mjs".
  console.error("Carte: Leaflet or Leaflet.markercluster is not loaded.");
  document.getElementById("map")?.setAttribute("data-state", "error");
} else {
  start();
}
