// What the server rendered into the page for its scripts: JSON blocks in <script type="application/json">
// (never executed, CSP-safe) and the CSRF token's <meta>. Read on first use, never at import, so that the
// modules built on it (i18n.js, api.js) load in Node for their unit tests.

const blocks = new Map();

// The parsed JSON block with this id ({} when the page has none, or when it is not valid JSON).
export function readJson(id) {
  if (!blocks.has(id)) {
    const node = document.getElementById(id);
    let value = {};
    if (node) {
      try {
        value = JSON.parse(node.textContent);
      } catch (error) {
        console.error(`page-config: invalid JSON in #${id}`, error);
      }
    }
    blocks.set(id, value);
  }
  return blocks.get(id);
}

// The page's configuration (API base, map centre, language...) and its language.
export function pageConfig() {
  return readJson("carte-config");
}

export function pageLang() {
  return pageConfig().lang || document.documentElement.lang || "fr";
}

// Flask-WTF's token, sent as X-CSRFToken with every request that changes something.
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || null;
}
