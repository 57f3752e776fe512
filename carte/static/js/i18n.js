// Translated UI strings, plurals and locale formatting. The page's own strings and language come from
// page-config.js when first used; every function also takes them explicitly (how the unit tests call them).
import { pageLang, readJson } from "./page-config.js";

// A translator over one block of messages: t("saved", {commune: "Saint-Denis"}) -> "Signalement
// enregistré à Saint-Denis". Unknown keys come back as the key itself, so a missing string is
// visible but harmless. A plural message is {one, other, count} (the server's `plural_forms`):
// the form follows the language's plural rule for params[count] (« 0 soutien », "0 supporters").
// `lang` defaults to the page's language, read at the first call.
export function translator(block, lang) {
  return (key, params = {}) => {
    let template = block[key];
    if (template && typeof template === "object" && template.count) {
      const n = Number(String(params[template.count] ?? "").replace(/[^\d.-]/g, ""));
      template = template[new Intl.PluralRules(lang ?? pageLang()).select(n)] ?? template.other;
    }
    if (typeof template !== "string") return key;
    return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  };
}

let pageTranslator = null;

// The page-wide translator, over the `carte-messages` block.
export function t(key, params) {
  pageTranslator ??= translator(readJson("carte-messages"));
  return pageTranslator(key, params);
}

// Error message for a field and code (e.g. "title", "too_short"), or undefined.
export function errorMessage(field, code, messages = readJson("carte-messages")) {
  const errors = messages.errors || {};
  return errors[`${field}.${code}`];
}

export function formatDate(iso, lang = pageLang()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" }).format(date);
}

export function formatNumber(value, digits = 5, lang = pageLang()) {
  return new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

export function compareNames(a, b, lang = pageLang()) {
  return a.localeCompare(b, lang, { sensitivity: "base" });
}
