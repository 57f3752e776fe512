// Following by email (and by Atom feed): the dialog that asks for alerts on a report or an area.
// A report is followed from its detail panel (report-panel.js announces the report it shows with a
// "carte:report-shown" event); an area from the header's button: the current view, a commune or a territory,
// with optional themes. The Atom link of the page head follows the view too. Reads window.carte.
import { request } from "./api.js";
import { el, errorText } from "./dom.js";
import { compareNames, translator } from "./i18n.js";
import { readJson } from "./page-config.js";

const $ = (selector) => document.querySelector(selector);
const messages = readJson("follow-messages");
const t = translator(messages);
const FEED_PATH = "/flux/signalements.atom";

function viewBbox(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((n) => Number(n.toFixed(5)));
}

class FollowDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.form = $("#follow-form");
    this.target = null; // {report, title} or {area: true}
    this.opener = null;
    this.themesLoaded = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    $("#follow-cancel").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => {
      if (this.opener && document.contains(this.opener)) this.opener.focus();
    });
    $("#follow-commune").addEventListener("change", () => ($("#follow-area-commune").checked = true));
    $("#follow-territoire").addEventListener("change", () => ($("#follow-area-territoire").checked = true));
  }

  fillPlaces() {
    const communes = window.carte?.communes;
    const commune = $("#follow-commune");
    const territoire = $("#follow-territoire");
    if (!communes || commune.options.length > 1) return;
    commune.replaceChildren(el("option", { value: "" }, t("choose_commune")));
    territoire.replaceChildren(el("option", { value: "" }, t("choose_territoire")));
    const territories = new Map();
    for (const feature of communes.sortedByName()) {
      const p = feature.properties;
      commune.append(el("option", { value: p.code }, p.nom));
      if (p.territoire_code && !territories.has(p.territoire_code)) territories.set(p.territoire_code, p.territoire_nom || p.territoire_code);
    }
    const sorted = [...territories].sort((a, b) => compareNames(a[1], b[1]));
    for (const [code, name] of sorted) territoire.append(el("option", { value: code }, name));
  }

  async fillThemes() {
    if (this.themesLoaded) return;
    try {
      const { themes } = await request("/themes");
      const box = $("#follow-themes");
      box.replaceChildren(...themes.map((theme) => {
        const wrap = el("div", { className: "field--check" });
        const input = el("input", { type: "checkbox", id: `follow-theme-${theme.slug}`, name: "themes", value: theme.slug });
        const label = el("label", { htmlFor: input.id }, theme.label);
        wrap.append(input, label);
        return wrap;
      }));
      this.themesLoaded = true;
    } catch {
      // The themes are optional: the area can still be followed whole.
    }
  }

  clearErrors() {
    for (const node of this.form.querySelectorAll(".field-error")) {
      node.hidden = true;
      node.textContent = "";
    }
    for (const node of this.form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    $("#follow-status").textContent = "";
  }

  open(target, opener) {
    this.target = target;
    this.opener = opener || document.activeElement;
    this.clearErrors();
    const area = Boolean(target.area);
    $("#follow-title").textContent = area ? t("follow_area") : t("follow_report");
    $("#follow-what").textContent = area ? t("what_area") : t("what_report", { title: target.title });
    $("#follow-area-fields").hidden = !area;
    $("#follow-theme-fields").hidden = !area;
    $("#follow-submit").disabled = false;
    const feed = $("#follow-feed-link");
    feed.href = area ? feedUrl(window.carte.map) : `/flux/signalements/${encodeURIComponent(target.report)}.atom`;
    if (area) {
      this.fillPlaces();
      this.fillThemes();
    }
    if (!this.dialog.open) this.dialog.showModal();
    $("#follow-email").focus();
  }

  body() {
    const data = { email: $("#follow-email").value.trim() };
    const honeypot = $("#follow-website").value;
    if (honeypot) data.website = honeypot;
    if (!this.target.area) {
      data.report = this.target.report;
      return data;
    }
    const area = this.form.elements.area.value;
    if (area === "commune") data.commune = $("#follow-commune").value;
    else if (area === "territoire") data.territoire = $("#follow-territoire").value;
    else data.bbox = viewBbox(window.carte.map);
    const themes = [...this.form.querySelectorAll('input[name="themes"]:checked')].map((input) => input.value);
    if (themes.length) data.themes = themes;
    return data;
  }

  showError(field, text) {
    const node = $(`#${field}-follow-error`) || $("#follow-error");
    node.textContent = text;
    node.hidden = false;
    const input = { email: "#follow-email", commune: "#follow-commune", territoire: "#follow-territoire" }[field];
    if (input) {
      $(input).setAttribute("aria-invalid", "true");
      $(input).focus();
    }
  }

  async submit() {
    this.clearErrors();
    const data = this.body();
    if (!data.email) {
      this.showError("email", t("email_required"));
      return;
    }
    if (this.target.area && this.form.elements.area.value !== "bbox" && !data[this.form.elements.area.value]) {
      this.showError(this.form.elements.area.value, t("error_required"));
      return;
    }
    const button = $("#follow-submit");
    button.disabled = true;
    $("#follow-status").textContent = t("sending");
    try {
      await request("/alerts", { method: "POST", body: data });
      $("#follow-status").textContent = t("sent");
      this.form.dataset.state = "sent";
    } catch (error) {
      $("#follow-status").textContent = "";
      this.showError(error.field || "follow", errorText(messages, error));
    } finally {
      button.disabled = false;
    }
  }
}

function feedUrl(map) {
  const url = new URL(FEED_PATH, window.location.origin);
  if (map) url.searchParams.set("bbox", viewBbox(map).join(","));
  return url.pathname + url.search;
}

function addReportButton(panelDetail, followDialog, report) {
  let section = $("#follow-report-section");
  if (!section) {
    section = el("section", { className: "pp-section follow-report", id: "follow-report-section" });
    section.setAttribute("aria-labelledby", "follow-report-title");
    const title = el("h3", { id: "follow-report-title" }, t("follow_report"));
    const button = el("button", { type: "button", className: "button", id: "follow-report" }, t("follow_report_button"));
    button.setAttribute("aria-haspopup", "dialog");
    const feed = el("a", { id: "follow-report-feed", className: "follow-feed-link", type: "application/atom+xml" }, t("follow_report_feed"));
    button.addEventListener("click", () => followDialog.open(section.report, button));
    section.append(title, button, el("span", {}, " "), feed);
    const votes = $("#pp-votes-section");
    if (votes) votes.after(section);
    else panelDetail.append(section);
  }
  section.report = { report: report.id, title: report.title };
  section.hidden = false;
  $("#follow-report-feed").href = `/flux/signalements/${encodeURIComponent(report.id)}.atom`;
}

function start() {
  const dialog = $("#follow-dialog");
  if (!dialog || !window.carte?.map || window.carte.follow) return Boolean(window.carte?.follow);
  const followDialog = new FollowDialog(dialog);
  window.carte.follow = followDialog;
  const areaButton = $("#follow-area");
  if (areaButton) {
    areaButton.hidden = false;
    areaButton.addEventListener("click", () => followDialog.open({ area: true }, areaButton));
  }
  // The page head's Atom link names the current view, for feed readers that read it.
  const headLink = $('link[rel="alternate"][type="application/atom+xml"]');
  const syncFeed = () => {
    if (headLink) headLink.href = feedUrl(window.carte.map);
  };
  window.carte.map.on("moveend", syncFeed);
  syncFeed();
  document.addEventListener("carte:report-shown", (event) => {
    const detail = $("#pp-detail");
    if (detail && event.detail?.id) addReportButton(detail, followDialog, { id: event.detail.id, title: event.detail.title });
  });
  return true;
}

if (!start()) {
  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("load", start);
}
