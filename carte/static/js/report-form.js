// The report form: a side panel (bottom sheet on small screens) used in two modes,
//  - "map": the position comes from the draggable pin (lat/lon are sent);
//  - "nomap": the resident picks a commune and types an address or landmark
//    (commune + location_text are sent; the server places the report approximately).
// Validation mirrors the server's rules and runs as the resident types.
import { api, ApiError } from "./api.js";
import { errorMessage, formatNumber, t } from "./i18n.js";

export const LIMITS = { titleMin: 5, titleMax: 120, description: 2000, tags: 5, tag: 40, author: 80 };

const FIELD_ORDER = ["commune", "location_text", "lat", "theme", "title", "description", "tags", "author_name"];

export class ReportForm extends EventTarget {
  constructor(panel) {
    super();
    this.panel = panel;
    this.form = panel.querySelector("form");
    this.heading = panel.querySelector("#report-panel-title");
    this.summary = panel.querySelector("#form-summary");
    this.submitButton = panel.querySelector("#report-submit");
    this.positionText = panel.querySelector("#position-text");
    this.inputs = {
      theme: panel.querySelector("#field-theme"),
      title: panel.querySelector("#field-title"),
      description: panel.querySelector("#field-description"),
      tags: panel.querySelector("#field-tags"),
      author_name: panel.querySelector("#field-author"),
      commune: panel.querySelector("#field-commune"),
      location_text: panel.querySelector("#field-location-text"),
    };
    this.counters = {
      title: [panel.querySelector("#title-counter"), LIMITS.titleMax],
      description: [panel.querySelector("#description-counter"), LIMITS.description],
    };
    this.tagList = panel.querySelector("#tags-list");
    this.live = document.createElement("p");
    this.live.className = "visually-hidden";
    this.live.setAttribute("aria-live", "polite");
    panel.append(this.live);

    this.mode = "map";
    this.latlng = null;
    this.tags = [];
    this.themes = [];
    this.locateCommune = () => undefined; // (lat, lon) -> feature | null | undefined (unknown)
    this.dirty = new Set();
    this.submitted = false;
    this.returnFocus = null;
    this._bind();
    this._updateCounters();
  }

  // -- data ---------------------------------------------------------------

  setThemes(themes) {
    this.themes = themes;
    const select = this.inputs.theme;
    select.querySelectorAll("option[value]:not([value=''])").forEach((o) => o.remove());
    for (const theme of themes) select.append(new Option(theme.label, theme.slug));
  }

  setCommunes(sortedFeatures) {
    const select = this.inputs.commune;
    select.querySelectorAll("option[value]:not([value=''])").forEach((o) => o.remove());
    for (const f of sortedFeatures) select.append(new Option(f.properties.nom, f.properties.code));
  }

  // -- opening and closing --------------------------------------------------

  get isOpen() {
    return !this.panel.hidden;
  }

  openForMap(latlng, { focus = true } = {}) {
    const wasOpen = this.isOpen;
    this._setMode("map");
    this.updatePosition(latlng);
    this._show(wasOpen ? null : this.inputs.theme, focus);
  }

  openWithoutMap(opener) {
    this._setMode("nomap");
    this.latlng = null;
    this._show(this.inputs.commune, true, opener);
  }

  updatePosition(latlng) {
    this.latlng = latlng;
    const commune = this.locateCommune(latlng.lat, latlng.lng);
    const coords = { lat: formatNumber(latlng.lat), lon: formatNumber(latlng.lng) };
    this.positionText.textContent =
      commune === null
        ? t("position_outside", coords)
        : t("position_in", { commune: commune?.properties.nom ?? "…", ...coords });
    if (this.submitted || this.dirty.has("lat")) this._validateField("lat");
    this._emit("position", { latlng }); // similar.js asks again for the reports near the new point
  }

  _setMode(mode) {
    this.mode = mode;
    this.panel.dataset.mode = mode;
    this.panel.querySelectorAll("fieldset[data-mode]").forEach((fs) => {
      fs.hidden = fs.dataset.mode !== mode;
      fs.disabled = fs.dataset.mode !== mode;
    });
    this.heading.textContent = t(mode === "map" ? "title_new_map" : "title_new_nomap");
    for (const field of ["lat", "commune", "location_text"]) this._showError(field, null);
  }

  _show(focusTarget, focus, opener) {
    if (!this.isOpen) {
      this.returnFocus = opener || (document.activeElement !== document.body ? document.activeElement : null);
      this.panel.hidden = false;
      document.body.classList.add("panel-open");
      this._emit("open", { mode: this.mode });
    }
    if (focus && focusTarget) focusTarget.focus();
  }

  close({ restoreFocus = true } = {}) {
    if (!this.isOpen) return;
    this.panel.hidden = true;
    document.body.classList.remove("panel-open");
    this._emit("close", { mode: this.mode });
    if (restoreFocus && this.returnFocus && document.contains(this.returnFocus)) this.returnFocus.focus();
    this.returnFocus = null;
  }

  reset() {
    this.form.reset();
    this.tags = [];
    this._renderTags();
    this.dirty.clear();
    this.submitted = false;
    this.summary.hidden = true;
    this.summary.textContent = "";
    for (const field of FIELD_ORDER) this._showError(field, null);
    this._updateCounters();
  }

  // -- events ---------------------------------------------------------------

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _bind() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.panel.querySelector("#report-cancel").addEventListener("click", () => this.close());
    this.panel.querySelector("#report-panel-close").addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented) {
        event.preventDefault();
        this.close();
      }
    });

    for (const [field, input] of Object.entries(this.inputs)) {
      if (field === "tags") continue;
      const live = () => {
        if (field in this.counters) this._updateCounters();
        // Validate live once the field has been left once, after a submit attempt, or when
        // a maximum is exceeded (the counter already says so while typing).
        if (this.dirty.has(field) || this.submitted || this._overLimit(field)) this._validateField(field);
      };
      input.addEventListener("input", live);
      input.addEventListener("change", () => {
        if (input.tagName === "SELECT") this.dirty.add(field);
        live();
      });
      input.addEventListener("blur", () => {
        if (input.value !== "" || this.dirty.has(field)) {
          this.dirty.add(field);
          this._validateField(field);
        }
      });
    }
    this._bindTags();
  }

  _overLimit(field) {
    const value = this.inputs[field]?.value ?? "";
    const max = { title: LIMITS.titleMax, description: LIMITS.description, author_name: LIMITS.author }[field];
    return max !== undefined && value.length > max;
  }

  _updateCounters() {
    for (const [field, [node, max]] of Object.entries(this.counters)) {
      const count = this.inputs[field].value.length;
      const over = count - max;
      node.textContent =
        over > 0
          ? t("counter_over", { count: formatNumber(count, 0), max: formatNumber(max, 0), over: formatNumber(over, 0) })
          : t("counter", { count: formatNumber(count, 0), max: formatNumber(max, 0) });
      node.classList.toggle("counter--over", over > 0);
    }
  }

  // -- tags (chip input) --------------------------------------------------------

  _bindTags() {
    const input = this.inputs.tags;
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === ",") {
        event.preventDefault();
        this._commitTagText();
      } else if (event.key === "Backspace" && input.value === "" && this.tags.length) {
        event.preventDefault();
        this._removeTag(this.tags.length - 1);
      }
    });
    input.addEventListener("input", () => {
      if (input.value.includes(",")) this._commitTagText();
      else if (this.dirty.has("tags") || this.submitted || input.value.length > LIMITS.tag) this._validateField("tags");
    });
    input.addEventListener("blur", () => {
      if (input.value.trim()) this._commitTagText();
    });
  }

  // Turns the text typed so far into chips. Text that cannot become a tag stays in the input.
  _commitTagText() {
    const input = this.inputs.tags;
    const parts = input.value.split(",").map((part) => part.trim());
    const rest = [];
    for (const part of parts) {
      if (!part) continue;
      if (this.tags.some((tag) => tag.toLocaleLowerCase() === part.toLocaleLowerCase())) continue;
      if (this.tags.length >= LIMITS.tags || part.length > LIMITS.tag) {
        rest.push(part);
        continue;
      }
      this.tags.push(part);
      this.live.textContent = t("tag_added", { tag: part });
    }
    input.value = rest.join(", ");
    this.dirty.add("tags");
    this._renderTags();
    this._validateField("tags");
  }

  _removeTag(index) {
    const [removed] = this.tags.splice(index, 1);
    this._renderTags();
    this.live.textContent = t("tag_removed", { tag: removed });
    this.inputs.tags.focus();
    this._validateField("tags");
  }

  _renderTags() {
    this.tagList.replaceChildren(
      ...this.tags.map((tag, index) => {
        const item = document.createElement("li");
        item.className = "chip";
        const text = document.createElement("span");
        text.className = "chip__text";
        text.textContent = tag;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip__remove";
        remove.setAttribute("aria-label", t("remove_tag", { tag }));
        remove.textContent = "×";
        remove.addEventListener("click", () => this._removeTag(index));
        item.append(text, remove);
        return item;
      }),
    );
    this.tagList.hidden = this.tags.length === 0;
  }

  // -- validation -----------------------------------------------------------------

  // Returns an error code for a field, or null. Mirrors the server's rules.
  check(field) {
    const value = (name) => (this.inputs[name]?.value ?? "").trim();
    switch (field) {
      case "theme":
        if (!value("theme")) return "required";
        if (this.themes.length && !this.themes.some((th) => th.slug === value("theme"))) return "unknown_theme";
        return null;
      case "title": {
        const title = value("title");
        if (!title) return "required";
        if (title.length < LIMITS.titleMin) return "too_short";
        if (title.length > LIMITS.titleMax) return "too_long";
        return null;
      }
      case "description":
        return this.inputs.description.value.length > LIMITS.description ? "too_long" : null;
      case "tags": {
        const pending = value("tags")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        if (this.tags.length + pending.length > LIMITS.tags) return "too_many_tags";
        if ([...this.tags, ...pending].some((tag) => tag.length > LIMITS.tag)) return "too_long";
        return null;
      }
      case "author_name":
        return value("author_name").length > LIMITS.author ? "too_long" : null;
      case "commune":
        return this.mode === "nomap" && !value("commune") ? "required" : null;
      case "location_text":
        return null;
      case "lat":
        if (this.mode !== "map") return null;
        if (!this.latlng) return "required";
        return this.locateCommune(this.latlng.lat, this.latlng.lng) === null ? "outside_area" : null;
      default:
        return null;
    }
  }

  _validateField(field) {
    const code = this.check(field);
    this._showError(field, code ? errorMessage(field, code) || code : null);
    return code;
  }

  validate() {
    return FIELD_ORDER.filter((field) => this._validateField(field));
  }

  _showError(field, message) {
    const node = this.panel.querySelector(`#${field}-error`);
    const input = field === "lat" ? null : this.inputs[field];
    if (node) {
      node.textContent = message || "";
      node.hidden = !message;
    }
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      input.closest(".field")?.classList.toggle("field--invalid", Boolean(message));
    }
  }

  _focusField(field) {
    if (field === "lat") {
      this._emit("focuspin", {});
      return;
    }
    this.inputs[field]?.focus();
  }

  _showSummary(text) {
    this.summary.textContent = text;
    this.summary.hidden = !text;
  }

  // -- submission ------------------------------------------------------------------

  payload() {
    const v = (name) => this.inputs[name].value.trim();
    const data = {
      theme: v("theme"),
      title: v("title"),
      description: this.inputs.description.value.trim(),
      tags: [...this.tags],
      author_name: v("author_name") || null,
    };
    const honeypot = this.form.elements.website?.value;
    if (honeypot) data.website = honeypot; // bots fill it; the server refuses them
    if (this.mode === "map") {
      data.lat = Number(this.latlng.lat.toFixed(7));
      data.lon = Number(this.latlng.lng.toFixed(7));
    } else {
      data.commune = v("commune");
      data.location_text = v("location_text") || null;
    }
    return data;
  }

  async submit() {
    if (this.busy) return;
    if (this.inputs.tags.value.trim()) this._commitTagText();
    this.submitted = true;
    const invalid = this.validate();
    if (invalid.length) {
      this._showSummary(invalid.length === 1 ? t("summary_one") : t("summary_many", { count: invalid.length }));
      this._focusField(invalid[0]);
      return;
    }
    this._showSummary("");
    this.busy = true;
    this.submitButton.disabled = true;
    this.submitButton.textContent = t("sending");
    this.form.setAttribute("aria-busy", "true");
    try {
      const { withdraw_url: withdrawUrl, ...report } = await api.createReport(this.payload());
      const mode = this.mode;
      this.reset();
      this.close({ restoreFocus: false });
      this._emit("created", { report, mode });
      // Shown once by the participation panel (report-panel.js): only its hash is kept on the server.
      if (withdrawUrl) document.dispatchEvent(new CustomEvent("carte:withdraw-link", { detail: { url: withdrawUrl, report: report.id } }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const field = error.field && FIELD_ORDER.includes(error.field) ? error.field : error.field === "lon" ? "lat" : null;
      if (field && (field !== "lat" || this.mode === "map") && (field !== "commune" || this.mode === "nomap")) {
        this._showError(field, errorMessage(field, error.code) || error.message);
        this._showSummary(t("summary_one"));
        this._focusField(field);
      } else {
        this._showSummary(error.message);
        this.summary.focus();
      }
    } finally {
      this.busy = false;
      this.submitButton.disabled = false;
      this.submitButton.textContent = t("submit");
      this.form.removeAttribute("aria-busy");
    }
  }
}
