// ESLint's flat config: the recommended rules over the browser ES modules of carte/static/js (Leaflet's
// `L` and Chart.js's `Chart` come from vendor scripts loaded before them) and over the Node scripts and tests.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["carte/static/vendor/**", "node_modules/**", ".venv/**", "test-artifacts/**", "instance/**"] },
  js.configs.recommended,
  // `const { status, ...rest } = report` drops a property on purpose.
  { rules: { "no-unused-vars": ["error", { ignoreRestSiblings: true }] } },
  {
    files: ["carte/static/js/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { ...globals.browser, L: "readonly", Chart: "readonly" },
    },
  },
  {
    files: ["scripts/**/*.mjs", "tests/js/**/*.mjs", "eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
