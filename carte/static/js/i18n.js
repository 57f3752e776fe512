// Translated UI strings and page configuration, rendered by the server into
// <script type="application/json"> blocks (never executed, CSP-safe).

function readJson(id) {
  const node = document.getElementById(id);
  if (!node) return {};
  try {
    return JSON.parse(node.textContent);
  } catch (error) {
    console.error(`i18n: invalid JSON in #${id}`, error);
    return {};
  }
}

const messages = readJson("carte-messages");
export const config = readJson("carte-config");
export const lang = config.lang || document.documentElement.lang || "fr";

// A translator over one block of messages: t("saved", {commune: "Saint-Denis"}) -> "Signalement
// enregistré à Saint-Denis". Unknown keys come back as the key itself, so a missing string is
// visible but harmless. A plural message is {one, other, count} (the server's `plural_forms`):
// the form follows the language's plural rule for params[count] (« 0 soutien », "0 supporters").
export function translator(block) {
  return (key, params = {}) => {
    let template = block[key];
    if (template && typeof template === "object" && template.count) {
      const n = Number(String(params[template.count] ?? "").replace(/[^\d.-]/g, ""));
      template = template[new Intl.PluralRules(lang).select(n)] ?? template.other;
    }
    if (typeof template !== "string") return key;
    return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  };
}

export const t = translator(messages);

// Error message for a field and code (e.g. "title", "too_short"), or undefined.
export function errorMessage(field, code) {
  const errors = messages.errors || {};
  return errors[`${field}.${code}`];
}

export function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" }).format(date);
}

export function formatNumber(value, digits = 5) {
  return new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

export function compareNames(a, b) {
  return a.localeCompare(b, lang, { sensitivity: "base" });
}
