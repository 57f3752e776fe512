// The little of a browser page that page-config.js reads: the JSON blocks by id, <html lang>, the CSRF
// <meta> and the page's origin. Installed on globalThis before a test's first call; `page` stays mutable.
export function installFakePage({ blocks = {}, lang = "fr", csrf = null, origin = "https://carte.example" } = {}) {
  const page = { blocks, lang, csrf };
  globalThis.document = {
    documentElement: {
      get lang() {
        return page.lang;
      },
    },
    getElementById(id) {
      return id in page.blocks ? { textContent: JSON.stringify(page.blocks[id]) } : null;
    },
    querySelector(selector) {
      return selector === 'meta[name="csrf-token"]' && page.csrf !== null ? { content: page.csrf } : null;
    },
  };
  globalThis.location = new URL(`${origin}/`);
  return page;
}
