// The participation panel: the list of reports in the current map view, and a report's
// detail where residents support it, comment, add photos and flag content.
// Loaded after main.js; reads window.carte (map, reports) and never edits the map's own code.
import { request } from "./api.js";
import { formatDate, translator } from "./i18n.js";
import { el, errorText } from "./dom.js";
import { readJson } from "./page-config.js";

const $ = (selector) => document.querySelector(selector);
const messages = readJson("participation-messages");
const t = translator(messages);
const LIST_LIMIT = 200;

function announce(text) {
  const toast = $("#confirmation");
  if (!toast) return;
  toast.textContent = text;
  toast.classList.add("toast--visible");
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => toast.classList.remove("toast--visible"), 8000);
}

class ParticipationPanel {
  constructor(root, carte) {
    this.root = root;
    this.carte = carte;
    this.title = $("#pp-title");
    this.list = $("#pp-list");
    this.detail = $("#pp-detail");
    this.toggle = $("#list-toggle");
    this.current = null; // {id, feature, report, state}
    this.returnFocus = null;
    this.decorated = new WeakSet();

    this.toggle.addEventListener("click", () => (this.isOpen && !this.list.hidden ? this.close() : this.openList(this.toggle)));
    $("#pp-close").addEventListener("click", () => this.close());
    $("#pp-back").addEventListener("click", () => this.openList());
    $("#pp-sort").addEventListener("change", () => this.renderList());
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
    $("#pp-support").addEventListener("click", () => this.vote("support"));
    $("#pp-dissent").addEventListener("click", () => this.vote("dissent"));
    this.commentForm = $("#pp-comment-form");
    this.commentForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.comment();
    });
    const body = $("#pp-comment-body");
    body.addEventListener("input", () => ($("#pp-comment-counter").textContent = `${body.value.trim().length} / 1000`));
    $("#pp-flag-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.flagReport();
    });
    $("#pp-photo-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.uploadPhotos();
    });
    const withdrawButton = $("#pp-withdraw");
    withdrawButton.addEventListener("click", () => this.askWithdrawReport(true));
    $("#pp-withdraw-no").addEventListener("click", () => this.askWithdrawReport(false));
    $("#pp-withdraw-yes").addEventListener("click", () => this.withdrawReport());
    this.linkNotice = new WithdrawLinkNotice($("#withdraw-link"));
    // The report form (report-form.js) hands over the private link of a report it just posted.
    document.addEventListener("carte:withdraw-link", (event) => this.linkNotice.show(event.detail.url, "report", event.detail.report));

    const map = carte.map;
    map.on("moveend", () => this.isOpen && !this.list.hidden && this.renderList());
    map.on("popupopen", (event) => {
      const popup = event.popup;
      // Leaflet re-renders a popup's content on updates (zoom, re-clustering): decorate it again.
      if (!this.decorated.has(popup)) {
        this.decorated.add(popup);
        popup.on("contentupdate", () => this.decoratePopup(popup));
      }
      this.decoratePopup(popup);
    });
    // main.js writes the number of loaded reports on #map once a view's reports have arrived.
    new MutationObserver(() => this.isOpen && !this.list.hidden && this.renderList()).observe(carte.map.getContainer(), {
      attributes: true,
      attributeFilter: ["data-reports", "data-total"],
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  show(opener) {
    if (!this.isOpen) this.returnFocus = opener || document.activeElement;
    const form = window.carte?.form; // one side panel at a time
    if (form?.isOpen) form.close({ restoreFocus: false });
    this.root.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    window.setTimeout(() => this.carte.carte?.invalidate?.(), 0);
  }

  close({ restoreFocus = true } = {}) {
    const showing = this.isOpen && !this.detail.hidden;
    this.root.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
    window.setTimeout(() => this.carte.carte?.invalidate?.(), 0);
    const target = this.returnFocus && document.contains(this.returnFocus) ? this.returnFocus : this.toggle;
    if (restoreFocus) target.focus();
    this.current = null;
    if (showing) document.dispatchEvent(new CustomEvent("carte:report-close")); // url-state.js
  }

  // -- list of the reports in view ---------------------------------------------------------
  openList(opener) {
    const showing = this.isOpen && !this.detail.hidden;
    this.show(opener);
    this.detail.hidden = true;
    this.list.hidden = false;
    this.title.textContent = t("list_title");
    this.renderList();
    this.title.focus();
    if (showing) document.dispatchEvent(new CustomEvent("carte:report-close")); // url-state.js
  }

  featuresInView() {
    const bounds = this.carte.map.getBounds();
    const inView = [];
    for (const feature of this.carte.reports.features.values()) {
      const [lon, lat] = feature.geometry.coordinates;
      if (bounds.contains([lat, lon])) inView.push(feature);
    }
    const bySupport = $("#pp-sort").value === "support";
    inView.sort((a, b) => {
      const pa = a.properties;
      const pb = b.properties;
      if (bySupport && (pb.support || 0) !== (pa.support || 0)) return (pb.support || 0) - (pa.support || 0);
      return String(pb.created_at).localeCompare(String(pa.created_at));
    });
    return inView;
  }

  renderList() {
    // The list re-renders when the reports of the view arrive: keep a keyboard user's place.
    const list = $("#pp-list-items");
    const focusedId = list.contains(document.activeElement) ? document.activeElement.dataset.reportId : null;
    const features = this.featuresInView();
    const shown = features.slice(0, LIST_LIMIT);
    // The server's total for the view (main.js writes it on #map): the list may hold fewer,
    // when the list cap applies or when the view came back as clusters; it says so.
    const total = Math.max(Number(this.carte.map.getContainer().dataset.total || 0), features.length);
    const number = (n) => new Intl.NumberFormat(document.documentElement.lang || "fr").format(n);
    $("#pp-list-count").textContent = !total
      ? t("list_empty")
      : shown.length < total
        ? t("list_partial", { shown: number(shown.length), total: number(total) })
        : t("list_count", { count: number(features.length) });
    const items = shown.map((feature) => {
      const p = feature.properties;
      const item = el("li", "pp-list__item");
      const button = el("button", "pp-list__button");
      button.type = "button";
      button.dataset.reportId = String(feature.id ?? p.id);
      const swatch = el("span", "swatch");
      swatch.style.backgroundColor = p.color || "#555";
      swatch.setAttribute("aria-hidden", "true");
      const label = el("span", "pp-list__title", p.title);
      const meta = el("span", "pp-list__meta", `${p.theme_label || p.theme} · ${p.commune?.nom || ""} · ${t("counts", { support: p.support || 0 })}`);
      const fixed = p.progress === "fixed"; // civic loop: fixed reports are muted, with a check mark and a word
      const name = t("open_report", { title: p.title, theme: p.theme_label || p.theme, commune: p.commune?.nom || "", counts: t("counts", { support: p.support || 0 }) });
      button.setAttribute("aria-label", fixed ? `${name} — ${t("fixed")}` : name);
      button.append(swatch, label, meta);
      if (fixed) {
        item.classList.add("pp-list__item--fixed");
        button.append(el("span", "pp-list__fixed", `✓ ${t("fixed")}`));
      }
      button.addEventListener("click", () => this.openReport(button.dataset.reportId, button));
      item.append(button);
      return item;
    });
    list.replaceChildren(...items);
    if (focusedId) list.querySelector(`button[data-report-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  // -- a popup on the map gets a way into the detail ------------------------------------------
  decoratePopup(popup) {
    const root = popup.getElement()?.querySelector(".report-popup");
    if (!root || root.querySelector(".report-popup__participate")) return;
    const source = popup._source;
    let id = null;
    for (const key of this.carte.reports.features.keys()) {
      if (this.carte.reports.marker(key) === source) {
        id = key;
        break;
      }
    }
    if (!id) return;
    const p = this.carte.reports.features.get(id).properties;
    const line = el("p", "report-popup__participate");
    line.append(el("span", "report-popup__counts", t("counts", { support: p.support || 0 })));
    const button = el("button", "button report-popup__open", messages.open_detail || "");
    button.type = "button";
    button.textContent = t("open_detail");
    button.addEventListener("click", () => this.openReport(id, source.getElement?.() || button));
    line.append(button);
    root.append(line);
  }

  // -- one report ----------------------------------------------------------------------
  async openReport(id, opener) {
    document.dispatchEvent(new CustomEvent("carte:report-open", { detail: { id: String(id) } })); // url-state.js
    this.show(opener);
    this.list.hidden = true;
    this.detail.hidden = false;
    this.detail.dataset.reportId = id;
    this.title.textContent = t("loading");
    // The opener (a list item) is now hidden: the focus goes to the heading at once, not after the answers,
    // or it falls to <body> for as long as the server takes.
    this.title.focus();
    this.clearErrors();
    const feature = this.carte.reports.features.get(String(id));
    try {
      const [report, state] = await Promise.all([request(`/reports/${encodeURIComponent(id)}`), request(`/reports/${encodeURIComponent(id)}/participation`)]);
      this.current = { id, feature, report, state };
      this.render();
    } catch (error) {
      this.title.textContent = errorText(messages, error);
      // Nothing to act on: no form of another report, or of a report that is gone, stays live.
      for (const section of this.detail.querySelectorAll(".pp-section")) section.hidden = true;
    }
    // Back on the heading, now the report's title, unless the resident has moved on meanwhile.
    const active = document.activeElement;
    if (!active || active === document.body || active === this.title) this.title.focus();
  }

  render() {
    const { report, state } = this.current;
    const hidden = state.status === "hidden" || report.status === "hidden";
    // A hidden report comes without its text (GET /reports/<id> answers its status and reason only).
    this.title.textContent = hidden ? t("hidden_title") : report.title;
    const notice = $("#pp-hidden");
    notice.hidden = !hidden;
    notice.textContent = hidden ? [t("hidden"), state.moderation_note ? t("reason", { reason: state.moderation_note }) : ""].join(" ") : "";
    for (const section of this.detail.querySelectorAll(".pp-section")) section.hidden = hidden;
    if (hidden) return;
    $("#pp-theme").textContent = report.theme_label || report.theme;
    const meta = [report.commune?.nom, report.author_name ? t("by", { name: report.author_name }) : null, formatDate(report.created_at)];
    $("#pp-meta").textContent = meta.filter(Boolean).join(" · ");
    $("#pp-description").textContent = report.description || "";
    this.renderVotes(state.votes);
    this.renderComments(state.comments || []);
    this.renderPhotos(state.photos || []);
    $("#pp-addphotos-section").hidden = !state.can_add_photos;
    $("#pp-withdraw-section").hidden = !state.can_withdraw;
    this.askWithdrawReport(false, { focus: false });
    // One event for the modules that add to the detail: report-timeline.js (progress, updates, « Suivre »,
    // « C'est réglé ») and follow.js (following by email).
    document.dispatchEvent(new CustomEvent("carte:report-shown", {
      detail: { report, feature: this.current.feature, id: this.current.id, title: report.title },
    }));
    this.detail.dataset.state = "ready";
  }

  renderVotes(votes) {
    this.current.state.votes = votes;
    const counts = votes.dissent_allowed ? `${t("counts", votes)}, ${t("dissents", votes)}` : t("counts", votes);
    $("#pp-counts").textContent = counts;
    const support = $("#pp-support");
    const dissent = $("#pp-dissent");
    support.setAttribute("aria-pressed", String(votes.mine === "support"));
    dissent.setAttribute("aria-pressed", String(votes.mine === "dissent"));
    dissent.hidden = !votes.dissent_allowed;
    if (this.current.feature) {
      this.current.feature.properties.support = votes.support;
      this.current.feature.properties.dissent = votes.dissent;
    }
  }

  renderComments(comments) {
    const list = $("#pp-comments");
    list.replaceChildren(
      ...comments.map((comment) => {
        const item = el("li", "pp-comment");
        item.dataset.commentId = comment.id;
        if (comment.status === "hidden") {
          item.classList.add("pp-comment--hidden");
          item.append(el("p", "pp-comment__body", t("hidden_comment")));
          if (comment.moderation_note) item.append(el("p", "pp-comment__note", t("reason", { reason: comment.moderation_note })));
          return item;
        }
        const head = el("p", "pp-comment__meta", `${comment.author_name || t("anonymous")} · ${formatDate(comment.created_at)}`);
        item.append(head, el("p", "pp-comment__body", comment.body));
        if (comment.can_withdraw) item.append(this.commentWithdrawControl(comment));
        item.append(this.commentFlagForm(comment));
        return item;
      }),
    );
    $("#pp-comments-empty").hidden = comments.length > 0;
  }

  // A two-step control: the button asks, the confirmation withdraws (keyboard: focus follows).
  commentWithdrawControl(comment) {
    const box = el("div", "pp-comment__withdraw");
    const ask = el("button", "link-button", t("withdraw_comment"));
    ask.type = "button";
    ask.setAttribute("aria-expanded", "false");
    const confirmBox = el("div", "pp-confirm");
    confirmBox.hidden = true;
    const question = el("p", null, t("withdraw_comment_question"));
    question.id = `withdraw-question-${comment.id}`;
    const yes = el("button", "button button--primary", t("withdraw_yes"));
    yes.type = "button";
    yes.setAttribute("aria-describedby", question.id);
    const no = el("button", "button", t("cancel"));
    no.type = "button";
    const toggle = (open) => {
      confirmBox.hidden = !open;
      ask.setAttribute("aria-expanded", String(open));
      (open ? yes : ask).focus();
    };
    ask.addEventListener("click", () => toggle(true));
    no.addEventListener("click", () => toggle(false));
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await request(`/comments/${encodeURIComponent(comment.id)}`, { method: "DELETE" });
        this.current.state.comments = this.current.state.comments.filter((c) => c.id !== comment.id);
        this.renderComments(this.current.state.comments);
        announce(t("comment_withdrawn"));
        $("#pp-comment-body").focus();
      } catch (error) {
        yes.disabled = false;
        announce(error?.code === "not_author" ? t("error_not_author_withdraw") : errorText(messages, error));
      }
    });
    confirmBox.append(question, yes, no);
    box.append(ask, confirmBox);
    return box;
  }

  commentFlagForm(comment) {
    const details = el("details", "pp-comment__flag");
    details.append(el("summary", null, t("flag_comment")));
    const form = el("form", "pp-inline-form");
    const selectId = `flag-reason-${comment.id}`;
    const label = el("label", null, t("flag_comment_reason"));
    label.htmlFor = selectId;
    const select = el("select");
    select.id = selectId;
    select.name = "reason";
    for (const reason of ["spam", "abuse", "personal_data"]) {
      const option = el("option", null, t(`reason_${reason}`));
      option.value = reason;
      select.append(option);
    }
    const submit = el("button", "button", t("send"));
    submit.type = "submit";
    form.append(label, select, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const result = await request(`/comments/${encodeURIComponent(comment.id)}/flags`, { method: "POST", body: { reason: select.value } });
        announce(t(result.hidden ? "flagged_hidden" : "flagged"));
        details.open = false;
      } catch (error) {
        announce(errorText(messages, error));
      }
    });
    details.append(form);
    return details;
  }

  renderPhotos(photos) {
    const list = $("#pp-photos");
    const title = this.current.report.title;
    list.replaceChildren(
      ...photos.map((photo, index) => {
        const item = el("li", "pp-photo");
        const link = el("a");
        link.href = photo.url;
        link.target = "_blank";
        link.rel = "noopener";
        const img = el("img");
        img.src = photo.thumbnail_url;
        img.alt = t("photo_alt", { n: index + 1, title });
        img.loading = "lazy";
        link.append(img);
        item.append(link);
        return item;
      }),
    );
    $("#pp-photos-section").hidden = photos.length === 0;
  }

  clearErrors() {
    for (const node of this.root.querySelectorAll(".field-error")) {
      node.hidden = true;
      node.textContent = "";
    }
    for (const node of this.root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  showError(id, text, input) {
    const node = document.getElementById(id);
    if (node) {
      node.textContent = text;
      node.hidden = false;
    }
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  // -- actions ----------------------------------------------------------------------------
  async vote(kind) {
    if (!this.current) return;
    const path = `/reports/${encodeURIComponent(this.current.id)}/vote`;
    const mine = this.current.state.votes.mine;
    this.clearErrors();
    try {
      let votes;
      if (mine) votes = await request(path, { method: "DELETE" });
      if (mine !== kind) votes = await request(path, { method: "POST", body: { kind } });
      this.renderVotes(votes);
      announce(t(votes.mine ? "voted" : "withdrawn"));
    } catch (error) {
      this.showError("pp-vote-error", errorText(messages, error));
    }
  }

  async comment() {
    this.clearErrors();
    const body = $("#pp-comment-body");
    const text = body.value.trim();
    if (!text) return this.showError("body-comment-error", t("comment_required"), body);
    if (text.length < 2) return this.showError("body-comment-error", t("comment_too_short"), body);
    if (text.length > 1000) return this.showError("body-comment-error", t("comment_too_long"), body);
    const data = Object.fromEntries(new FormData(this.commentForm));
    const submit = $("#pp-comment-submit");
    submit.disabled = true;
    try {
      const { withdraw_url: withdrawUrl, ...comment } = await request(`/reports/${encodeURIComponent(this.current.id)}/comments`, {
        method: "POST",
        body: data,
      });
      this.commentForm.reset();
      $("#pp-comment-counter").textContent = "0 / 1000";
      if (comment.status === "published") {
        this.current.state.comments.push(comment);
        this.renderComments(this.current.state.comments);
        announce(t("commented"));
      } else {
        announce(t("commented_pending"));
      }
      if (withdrawUrl) this.linkNotice.show(withdrawUrl, "comment");
      else body.focus();
    } catch (error) {
      const field = error.field === "author_name" ? "author_name" : "body";
      this.showError(`${field}-comment-error`, errorText(messages, error), field === "body" ? body : $("#pp-comment-author"));
    } finally {
      submit.disabled = false;
    }
  }

  async flagReport() {
    this.clearErrors();
    const form = $("#pp-flag-form");
    const reason = form.elements.reason.value;
    if (!reason) return this.showError("reason-flag-error", t("choose_reason"), $("#pp-flag-spam"));
    try {
      const result = await request(`/reports/${encodeURIComponent(this.current.id)}/flags`, {
        method: "POST",
        body: { reason, details: form.elements.details.value },
      });
      form.reset();
      $("#pp-flag-details").open = false;
      announce(t(result.hidden ? "flagged_hidden" : "flagged"));
    } catch (error) {
      this.showError("reason-flag-error", errorText(messages, error));
    }
  }

  askWithdrawReport(open, { focus = true } = {}) {
    $("#pp-withdraw-confirm").hidden = !open;
    $("#pp-withdraw").setAttribute("aria-expanded", String(open));
    if (focus) (open ? $("#pp-withdraw-yes") : $("#pp-withdraw")).focus();
  }

  async withdrawReport() {
    if (!this.current) return;
    this.clearErrors();
    const id = this.current.id;
    const yes = $("#pp-withdraw-yes");
    yes.disabled = true;
    try {
      await request(`/reports/${encodeURIComponent(id)}`, { method: "DELETE" });
      removeFromMap(this.carte.reports, id);
      announce(t("report_withdrawn"));
      this.openList();
    } catch (error) {
      this.showError("pp-withdraw-error", error?.code === "not_author" ? t("error_not_author_withdraw") : errorText(messages, error));
    } finally {
      yes.disabled = false;
    }
  }

  async uploadPhotos() {
    this.clearErrors();
    const input = $("#pp-photo-input");
    if (!input.files.length) return this.showError("photos-photo-error", t("choose_photo"), input);
    const data = new FormData();
    for (const file of input.files) data.append("photos", file);
    const submit = $("#pp-photo-submit");
    submit.disabled = true;
    try {
      await request(`/reports/${encodeURIComponent(this.current.id)}/photos`, { method: "POST", body: data });
      input.value = "";
      announce(t("photos_added"));
      const state = await request(`/reports/${encodeURIComponent(this.current.id)}/participation`);
      this.current.state = state;
      this.render();
    } catch (error) {
      this.showError("photos-photo-error", errorText(messages, error), input);
    } finally {
      submit.disabled = false;
    }
  }
}

// A withdrawn report leaves the map at once (map.js's collection has no removal of its own).
function removeFromMap(reports, id) {
  const key = String(id);
  const marker = reports.marker(key);
  if (marker && reports._layer) reports._layer.removeLayer(marker);
  reports._markers?.delete(key);
  reports.features.delete(key);
}

// The private withdrawal link, shown once after posting, until the resident says they kept it.
class WithdrawLinkNotice {
  constructor(root) {
    this.root = root;
    this.input = root.querySelector("#withdraw-link-url");
    this.status = root.querySelector("#withdraw-link-status");
    this.returnFocus = null;
    root.querySelector("#withdraw-link-copy").addEventListener("click", () => this.copy());
    root.querySelector("#withdraw-link-close").addEventListener("click", () => this.hide());
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.hide();
      }
    });
  }

  // `report`: the report just posted, whose marker gets the focus back once the link is noted.
  show(url, kind, report = null) {
    this.returnFocus = document.activeElement;
    this.report = report;
    this.root.querySelector("#withdraw-link-title").textContent = t(kind === "comment" ? "withdraw_link_comment" : "withdraw_link_report");
    this.input.value = url;
    this.status.textContent = "";
    this.root.hidden = false;
    this.input.focus();
    this.input.select();
  }

  async copy() {
    this.input.select();
    try {
      await navigator.clipboard.writeText(this.input.value);
      this.status.textContent = t("link_copied");
    } catch {
      this.status.textContent = t("link_copy_failed");
    }
  }

  hide() {
    this.root.hidden = true;
    this.input.value = "";
    const map = document.getElementById("map");
    if (this.report) {
      map.focus();  // the map first: showReport then moves the focus on to the report's marker
      window.carte.carte.showReport(this.report, { focus: true });
      return;
    }
    const target = this.returnFocus && document.contains(this.returnFocus) ? this.returnFocus : map;
    target?.focus();
  }
}

function start() {
  const root = $("#participation-panel");
  if (!root || !window.carte?.map || window.carte.participation) return Boolean(window.carte?.participation);
  window.carte.participation = new ParticipationPanel(root, window.carte);
  return true;
}

// Module scripts run in document order and main.js comes after this one: when the map is not
// there yet, start once every deferred script has run (DOMContentLoaded), or at load at the latest.
if (!start()) {
  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("load", start);
}
