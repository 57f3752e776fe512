// The civic loop in the report detail (report-panel.js announces each report it shows with a
// "carte:report-shown" event): the current progress as a badge, the responsible body, the public
// updates as a timeline, « Suivre ce signalement » (by the contributor cookie, no account), and,
// once the report is fixed, « C'est réglé » / « Toujours pas réglé » for its author and followers.
// Every text goes through textContent; status changes are announced in an aria-live region.
import { request } from "./api.js";
import { formatDate, translator } from "./i18n.js";
import { el, errorText } from "./dom.js";
import { readJson } from "./page-config.js";

const $ = (selector) => document.querySelector(selector);
const messages = readJson("timeline-messages");
const t = translator(messages);

class ReportTimeline {
  constructor(root) {
    this.root = root;
    this.report = null;
    this.feature = null;
    this.status = $("#pp-followup-status");
    this.followButton = $("#pp-follow");
    this.followButton.addEventListener("click", () => this.toggleFollow());
    $("#pp-confirm").addEventListener("click", () => this.answer("confirmed"));
    $("#pp-not-fixed").addEventListener("click", () => this.answer("not_fixed"));
    document.addEventListener("carte:report-shown", (event) => {
      this.status.textContent = "";
      this.show(event.detail.report, event.detail.feature);
    });
  }

  show(report, feature) {
    this.report = report;
    this.feature = feature || this.feature;
    if (this.feature && report.progress) this.feature.properties.progress = report.progress;
    const badge = $("#pp-progress");
    badge.className = `progress-badge progress-badge--${report.progress || "submitted"}`;
    badge.textContent = report.progress_label || report.progress || "";
    $("#pp-body").textContent = report.body ? t("body", { body: report.body.name }) : "";
    const duplicate = $("#pp-duplicate");
    duplicate.hidden = !report.duplicate_of;
    duplicate.textContent = report.duplicate_of ? t("duplicate_of", { id: report.duplicate_of }) : "";

    const updates = report.updates || [];
    $("#pp-timeline").replaceChildren(
      ...updates.map((update) => {
        const item = el("li", `pp-timeline__item pp-timeline__item--${update.progress}`);
        const head = el("p", "pp-timeline__head");
        const time = el("time", "pp-timeline__date", formatDate(update.at));
        time.dateTime = update.at;
        head.append(time, document.createTextNode(" · "), el("span", `progress-badge progress-badge--${update.progress}`, update.progress_label),
          document.createTextNode(" · "), el("span", "pp-timeline__body", update.body || t("resident")));
        item.append(head);
        if (update.text) item.append(el("p", "pp-timeline__text", update.text));
        return item;
      }),
    );
    $("#pp-timeline-empty").hidden = updates.length > 0;

    const viewer = report.viewer || {};
    this.followButton.setAttribute("aria-pressed", String(Boolean(viewer.following)));
    this.followButton.textContent = viewer.following ? t("following") : t("follow");
    this.followButton.disabled = false;
    $("#pp-resolution").hidden = !viewer.may_answer || this.answered === report.id;
    const confirmations = $("#pp-confirmations");
    confirmations.hidden = !report.confirmations;
    confirmations.textContent = report.confirmations ? t("confirmations", { count: report.confirmations }) : "";
    this.root.dataset.progress = report.progress || "submitted";
  }

  async reload() {
    const report = await request(`/reports/${encodeURIComponent(this.report.id)}`);
    if (report.id === this.report?.id) this.show(report);
  }

  say(text, { focus = false } = {}) {
    this.status.textContent = text;
    if (focus) this.status.focus();
  }

  async toggleFollow() {
    if (!this.report) return;
    const following = this.followButton.getAttribute("aria-pressed") === "true";
    this.followButton.disabled = true;
    try {
      await request(`/reports/${encodeURIComponent(this.report.id)}/follow`, { method: following ? "DELETE" : "POST" });
      await this.reload();
      this.say(following ? t("unfollowed") : t("followed"));
    } catch (error) {
      this.say(errorText(messages, error));
    } finally {
      this.followButton.disabled = false;
    }
  }

  async answer(value) {
    if (!this.report) return;
    const buttons = [$("#pp-confirm"), $("#pp-not-fixed")];
    for (const button of buttons) button.disabled = true;
    try {
      const result = await request(`/reports/${encodeURIComponent(this.report.id)}/resolution`, { method: "POST", body: { answer: value } });
      this.answered = this.report.id;
      await this.reload();
      // The buttons are gone: focus goes to the message that says what happened.
      this.say(value === "not_fixed" ? t("reopened") : result.already ? t("already_confirmed") : t("confirmed"), { focus: true });
    } catch (error) {
      this.say(errorText(messages, error), { focus: true });
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }
}

const root = $("#pp-followup");
if (root) new ReportTimeline(root);
