// Translations, plurals (CLDR's rules through Intl.PluralRules) and locale formatting of i18n.js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { compareNames, errorMessage, formatDate, formatNumber, t, translator } from "../../carte/static/js/i18n.js";
import { installFakePage } from "./fake-page.mjs";

const NNBSP = "\u202f"; // French digit grouping (CLDR): narrow no-break space

const supports = { one: "{n} soutien", other: "{n} soutiens", count: "n" };

test("a message's placeholders are filled from the parameters", () => {
  const tr = translator({ saved: "Signalement enregistré à {commune}" }, "fr");
  assert.equal(tr("saved", { commune: "Saint-Denis" }), "Signalement enregistré à Saint-Denis");
});

test("a missing parameter leaves its placeholder visible", () => {
  const tr = translator({ saved: "Enregistré à {commune} le {date}" }, "fr");
  assert.equal(tr("saved", { commune: "Montreuil" }), "Enregistré à Montreuil le {date}");
});

test("an unknown key, or a block that is not a message, comes back as the key", () => {
  const tr = translator({ nested: { label: "pas une chaîne" } }, "fr");
  assert.equal(tr("absent"), "absent");
  assert.equal(tr("nested"), "nested");
});

test("French plural rule: 0 and 1 take the singular, 2 and more the plural", () => {
  const tr = translator({ supports }, "fr");
  assert.equal(tr("supports", { n: 0 }), "0 soutien");
  assert.equal(tr("supports", { n: 1 }), "1 soutien");
  assert.equal(tr("supports", { n: 2 }), "2 soutiens");
  assert.equal(tr("supports", { n: 1.5 }), "1.5 soutien"); // CLDR fr: i = 0 or 1 is "one"
});

test("English plural rule: only 1 takes the singular", () => {
  const tr = translator({ supports: { one: "{n} supporter", other: "{n} supporters", count: "n" } }, "en");
  assert.equal(tr("supports", { n: 0 }), "0 supporters");
  assert.equal(tr("supports", { n: 1 }), "1 supporter");
  assert.equal(tr("supports", { n: 1.5 }), "1.5 supporters");
});

test("the plural is chosen from a count already formatted for display", () => {
  const tr = translator({ supports }, "fr");
  assert.equal(tr("supports", { n: `1${NNBSP}234` }), `1${NNBSP}234 soutiens`);
});

test("a plural message without the form asked for falls back to `other`", () => {
  const tr = translator({ items: { other: "{n} éléments", count: "n" } }, "fr");
  assert.equal(tr("items", { n: 1 }), "1 éléments");
});

test("errorMessage looks up field.code in the block's errors", () => {
  const messages = { errors: { "title.too_short": "Le titre est trop court." } };
  assert.equal(errorMessage("title", "too_short", messages), "Le titre est trop court.");
  assert.equal(errorMessage("title", "too_long", messages), undefined);
  assert.equal(errorMessage("title", "too_short", {}), undefined);
});

test("dates are written in Paris time, winter and summer", () => {
  assert.equal(formatDate("2024-03-05T14:30:00Z", "fr"), "5 mars 2024 à 15:30"); // UTC+1
  assert.equal(formatDate("2024-07-14T10:00:00Z", "fr"), "14 juillet 2024 à 12:00"); // UTC+2
  assert.equal(formatDate("2024-03-05T14:30:00Z", "en").replace(NNBSP, " "), "March 5, 2024 at 3:30 PM");
});

test("an unreadable date is written as nothing", () => {
  assert.equal(formatDate("not a date", "fr"), "");
  assert.equal(formatDate(undefined, "fr"), "");
});

test("numbers take the language's separators and the digits asked for", () => {
  assert.equal(formatNumber(2.35, 5, "fr"), "2,35000");
  assert.equal(formatNumber(48.85661, 2, "en"), "48.86");
  assert.equal(formatNumber(1234567, 0, "fr"), `1${NNBSP}234${NNBSP}567`);
  assert.equal(formatNumber(1234.5, 0, "en"), "1,235");
});

test("names compare without case or accents", () => {
  assert.equal(compareNames("Évry", "evry", "fr"), 0);
  assert.ok(compareNames("Aubervilliers", "Bobigny", "fr") < 0);
  assert.ok(compareNames("Pantin", "L'Île-Saint-Denis", "fr") > 0);
});

test("the page translator reads the carte-messages block and the page's language", () => {
  installFakePage({ lang: "en", blocks: { "carte-messages": { supports: { one: "{n} supporter", other: "{n} supporters", count: "n" } } } });
  assert.equal(t("supports", { n: 0 }), "0 supporters");
  assert.equal(t("missing"), "missing");
  assert.equal(formatNumber(1234.5, 1), "1,234.5"); // the page's language when none is given
});
