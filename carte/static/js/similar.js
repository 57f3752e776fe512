// « Ces signalements existent déjà près d'ici »: while a resident fills the report form (a pin,
// a theme, a title being typed), the similar published reports nearby, each with
// « Je soutiens plutôt celui-ci », which supports it instead of filing a duplicate.
// Requests are debounced and aborted when superseded; a failure of this request hides the box
// and never blocks filing. Every text reaches the DOM through textContent.
import { ApiError, request } from "./api.js";
import { el } from "./dom.js";
import { translator } from "./i18n.js";
import { readJson } from "./page-config.js";

const DEBOUNCE_MS = 350;
const TITLE_MIN = 5;
const TITLE_MAX = 120;

const messages = readJson("similar-messages");

// The translator of the similar-reports block (main.js and url-state.js use it too).
export const st = translator(messages);

const number = (n) => new Intl.NumberFormat(document.documentElement.lang || "fr").format(n);

export class SimilarSuggestions extends EventTarget {
  // `form` is the ReportForm (report-form.js): its inputs, mode and pin position are read here.
  constructor(form) {
    super();
    this.form = form;
    this.controller = null;
    this.timer = null;
    this.key = "";
    this.shown = [];
    this.box = el("section", "similar");
    this.box.id = "similar-reports";
    this.box.hidden = true;
    this.box.setAttribute("aria-labelledby", "similar-title");
    const title = el("h3", "similar__title", st("title"));
    title.id = "similar-title";
    this.hint = el("p", "similar__hint", st("hint"));
    this.list = el("ul", "similar__list");
    this.error = el("p", "field-error similar__error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.box.append(title, this.hint, this.list, this.error);
    // Announced politely, once per change of what is shown; the list itself is not live.
    this.live = el("p", "visually-hidden");
    this.live.id = "similar-live";
    this.live.setAttribute("aria-live", "polite");
    const titleField = form.inputs.title.closest(".field");
    titleField.after(this.box);
    titleField.after(this.live);

    const schedule = () => this.schedule();
    form.inputs.title.addEventListener("input", schedule);
    form.inputs.theme.addEventListener("change", schedule);
    form.addEventListener("position", schedule);
    form.addEventListener("open", schedule);
    form.addEventListener("close", () => this.clear());
    form.addEventListener("created", () => this.clear());
  }

  // The query the form allows now, or null (no pin, no theme, a title too short or too long).
  query() {
    const form = this.form;
    if (!form.isOpen || form.mode !== "map" || !form.latlng) return null;
    const theme = form.inputs.theme.value;
    const title = form.inputs.title.value.trim().replace(/\s+/g, " ");
    if (!theme || title.length < TITLE_MIN || title.length > TITLE_MAX) return null;
    return { lat: form.latlng.lat.toFixed(6), lon: form.latlng.lng.toFixed(6), theme, title };
  }

  schedule() {
    clearTimeout(this.timer);
    const query = this.query();
    if (!query) {
      this.abort();
      this.key = "";
      this.render([]);
      return;
    }
    const key = JSON.stringify(query);
    if (key === this.key) return;
    this.timer = setTimeout(() => this.fetch(query, key), DEBOUNCE_MS);
  }

  abort() {
    this.controller?.abort();
    this.controller = null;
  }

  async fetch(query, key) {
    this.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.box.dataset.state = "loading";
    try {
      const answer = await request("/reports/similar", { params: query, signal: controller.signal });
      if (controller !== this.controller) return;
      this.key = key;
      this.render(answer.reports || []);
    } catch (error) {
      if (error.name === "AbortError" || controller !== this.controller) return;
      // Suggestions are a help, never a gate: on any error, show nothing and let the resident file.
      console.warn("similar reports unavailable", error);
      this.key = "";
      this.render([]);
    } finally {
      if (controller === this.controller) this.controller = null;
      this.box.dataset.state = "ready";
    }
  }

  clear() {
    clearTimeout(this.timer);
    this.abort();
    this.key = "";
    this.render([]);
  }

  render(items) {
    const before = this.shown.map((r) => r.id).join(",");
    this.shown = items;
    this.error.hidden = true;
    this.error.textContent = "";
    this.list.replaceChildren(...items.map((report) => this.item(report)));
    this.box.hidden = items.length === 0;
    this.box.dataset.count = String(items.length);
    const after = items.map((r) => r.id).join(",");
    if (after !== before) {
      this.live.textContent = items.length === 0 ? "" : items.length === 1 ? st("announce_one") : st("announce_many", { count: number(items.length) });
    }
  }

  item(report) {
    const item = el("li", "similar__item");
    item.dataset.reportId = report.id;
    const titleId = `similar-item-${report.id}`;
    const title = el("p", "similar__item-title", report.title);
    title.id = titleId;
    const meta = el(
      "p",
      "similar__meta",
      [
        st("distance", { distance: number(Math.round(report.distance_m)) }),
        report.support_count === 1 ? st("supports_one") : st("supports_many", { count: number(report.support_count || 0) }),
        report.progress && messages[`progress_${report.progress}`] ? st(`progress_${report.progress}`) : null,
      ]
        .filter(Boolean)
        .join(" · "),
    );
    const button = el("button", "button similar__support", st("support_instead"));
    button.type = "button";
    button.setAttribute("aria-describedby", titleId);
    button.addEventListener("click", () => this.support(report, button));
    item.append(title, meta, button);
    return item;
  }

  // Supports the report instead of filing; "already voted" is as good (the resident supports it).
  async support(report, button) {
    button.disabled = true;
    this.error.hidden = true;
    try {
      await request(`/reports/${encodeURIComponent(report.id)}/vote`, { method: "POST", body: { kind: "support" } });
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "already_voted") {
        button.disabled = false;
        this.error.textContent = st("support_failed");
        this.error.hidden = false;
        return;
      }
    }
    this.dispatchEvent(new CustomEvent("supported", { detail: { id: report.id, report } }));
  }
}
