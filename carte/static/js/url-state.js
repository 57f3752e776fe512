// The map's state in the address, so that a view or an open report can be shared and Back and
// Forward work:
//   /?signalement=<id>#carte=<zoom>/<lat>/<lon>
// - the view (#carte=...) is replaced, not pushed, as the map moves (debounced): panning does not
//   fill the history;
// - opening a report's detail pushes an entry with ?signalement=<id>; closing it pushes one
//   without; Back and Forward (popstate) reopen or close it and restore the view;
// - loading such an address restores both.
// A report's own, shareable page is /signalements/<id> (server-rendered); the detail's
// « Lien de partage » copies that address.
import { request } from "./api.js";
import { st } from "./similar.js";

const REPLACE_DEBOUNCE_MS = 400;
const PARAM = "signalement";
const HASH = "carte";

export function parseState(href) {
  const url = new URL(href, window.location.origin);
  const report = url.searchParams.get(PARAM) || null;
  let view = null;
  const hash = new URLSearchParams(url.hash.replace(/^#/, ""));
  const parts = (hash.get(HASH) || "").split("/").map(Number);
  if (parts.length === 3 && parts.every(Number.isFinite)) {
    const [zoom, lat, lon] = parts;
    if (zoom >= 0 && zoom <= 22 && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) view = { zoom, lat, lon };
  }
  return { report, view };
}

export function stateUrl(href, { report, view }) {
  const url = new URL(href, window.location.origin);
  if (report) url.searchParams.set(PARAM, report);
  else url.searchParams.delete(PARAM);
  const hash = new URLSearchParams(url.hash.replace(/^#/, ""));
  if (view) hash.set(HASH, `${Number(view.zoom.toFixed(2))}/${view.lat.toFixed(5)}/${view.lon.toFixed(5)}`);
  else hash.delete(HASH);
  // URLSearchParams would escape the slashes: the view reads better as written.
  url.hash = hash.toString().replace(/%2F/g, "/");
  return `${url.pathname}${url.search}${url.hash}`;
}

export function reportPageUrl(id) {
  return new URL(`/signalements/${encodeURIComponent(id)}`, window.location.origin).href;
}

export class UrlState {
  constructor(carte) {
    this.carte = carte;
    this.initial = parseState(window.location.href);
    this.restoring = false;
    this.timer = null;
    this.openId = null;
  }

  // An address with a view or a report sets the view itself: the communes' fit must not undo it.
  get keepsView() {
    return Boolean(this.initial.view || this.initial.report);
  }

  view() {
    const map = this.carte.map;
    const center = map.getCenter();
    return { zoom: map.getZoom(), lat: center.lat, lon: center.lng };
  }

  current() {
    return parseState(window.location.href);
  }

  // Called by main.js once the map exists. `participation()` returns report-panel.js's panel once it is there.
  start(participation) {
    this.participation = participation;
    this.carte.addEventListener("moveend", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.replaceView(), REPLACE_DEBOUNCE_MS);
    });
    document.addEventListener("carte:report-open", (event) => this.opened(event.detail.id));
    document.addEventListener("carte:report-close", () => this.closed());
    window.addEventListener("popstate", () => this.restore());
    this.bindShare();
    const { report, view } = this.initial;
    if (report) {
      this.whenPanel((panel) => this.quietly(() => panel.openReport(report)));
      if (!view) this.centreOn(report);
    }
  }

  whenPanel(callback) {
    const panel = this.participation();
    if (panel) return callback(panel);
    const retry = () => {
      const ready = this.participation();
      if (!ready) return;
      document.removeEventListener("DOMContentLoaded", retry);
      window.removeEventListener("load", retry);
      callback(ready);
    };
    document.addEventListener("DOMContentLoaded", retry);
    window.addEventListener("load", retry);
    return undefined;
  }

  quietly(action) {
    this.restoring = true;
    try {
      action();
    } finally {
      this.restoring = false;
    }
  }

  async centreOn(id) {
    try {
      const report = await request(`/reports/${encodeURIComponent(id)}`);
      if (Number.isFinite(report.lat) && Number.isFinite(report.lon)) this.carte.map.setView([report.lat, report.lon], 17);
    } catch {
      /* a hidden or unknown report: the panel says so; the view stays */
    }
  }

  replaceView() {
    const url = stateUrl(window.location.href, { report: this.current().report, view: this.view() });
    if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
      window.history.replaceState(window.history.state, "", url);
    }
  }

  opened(id) {
    this.openId = id;
    this.updateShare(id);
    if (this.restoring || this.current().report === id) return;
    window.history.pushState({ report: id }, "", stateUrl(window.location.href, { report: id, view: this.view() }));
  }

  closed() {
    this.openId = null;
    if (this.restoring || !this.current().report) return;
    window.history.pushState({ report: null }, "", stateUrl(window.location.href, { report: null, view: this.view() }));
  }

  restore() {
    const { report, view } = this.current();
    if (view) {
      const here = this.view();
      const moved = Math.abs(here.zoom - view.zoom) > 0.01 || Math.abs(here.lat - view.lat) > 1e-5 || Math.abs(here.lon - view.lon) > 1e-5;
      if (moved) this.carte.map.setView([view.lat, view.lon], view.zoom, { animate: false });
    }
    const panel = this.participation();
    if (!panel) return;
    const showing = panel.isOpen && !panel.detail.hidden ? panel.detail.dataset.reportId : null;
    if (report && showing !== report) this.quietly(() => panel.openReport(report));
    else if (!report && showing) this.quietly(() => panel.close());
  }

  // -- « Lien de partage » in the report's detail --------------------------------------------
  bindShare() {
    this.shareButton = document.getElementById("pp-share");
    this.shareStatus = document.getElementById("pp-share-status");
    this.permalink = document.getElementById("pp-permalink");
    this.shareButton?.addEventListener("click", () => this.copyLink());
  }

  updateShare(id) {
    if (this.permalink) this.permalink.href = `/signalements/${encodeURIComponent(id)}`;
    if (this.shareStatus) this.shareStatus.textContent = "";
  }

  async copyLink() {
    const id = this.openId || this.current().report;
    if (!id) return;
    const url = reportPageUrl(id);
    try {
      await navigator.clipboard.writeText(url);
      this.shareStatus.textContent = st("link_copied", { url });
    } catch {
      this.shareStatus.textContent = st("link_copy_failed", { url });
    }
    this.shareStatus.dataset.url = url;
  }
}
