// Copies the distributed files of the pinned npm packages into carte/static/vendor/.
// The destination is generated (git-ignored) and rebuilt from scratch at every run, so the
// script is idempotent:  npm ci && node scripts/copy-vendor.mjs
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "carte", "static", "vendor");

// package name -> { target folder, files or folders to copy (relative to the package) }
const PACKAGES = {
  leaflet: {
    target: "leaflet",
    files: ["dist/leaflet.js", "dist/leaflet.js.map", "dist/leaflet-src.js", "dist/leaflet.css", "dist/images", "LICENSE"],
  },
  "leaflet.markercluster": {
    target: "leaflet.markercluster",
    files: [
      "dist/leaflet.markercluster.js",
      "dist/leaflet.markercluster.js.map",
      "dist/MarkerCluster.css",
      "dist/MarkerCluster.Default.css",
      "MIT-LICENCE.txt",
    ],
  },
  // Facilitators' dashboard and workshop projection: heatmap layer and charts.
  "leaflet.heat": { target: "leaflet.heat", files: ["dist/leaflet-heat.js", "LICENSE"] },
  "chart.js": { target: "chart.js", files: ["dist/chart.umd.min.js", "LICENSE.md"] },
  // API documentation page (/api/v1/docs), served locally.
  "swagger-ui-dist": {
    target: "swagger-ui",
    files: ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"],
  },
  // Accessibility checks in the browser tests (a dev dependency; never loaded by the pages).
  "axe-core": { target: "axe-core", files: ["axe.min.js", "LICENSE"] },
};

function version(pkg) {
  return JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
}

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });

const manifest = {};
for (const [pkg, { target, files }] of Object.entries(PACKAGES)) {
  const source = join(modules, pkg);
  if (!existsSync(source)) {
    console.error(`copy-vendor: ${pkg} is not installed; run "npm ci" first.`);
    process.exit(1);
  }
  const destination = join(vendor, target);
  for (const file of files) {
    const from = join(source, file);
    if (!existsSync(from)) {
      if (file.endsWith(".map") || /licen[cs]e/i.test(file)) continue; // optional
      console.error(`copy-vendor: missing ${pkg}/${file}`);
      process.exit(1);
    }
    // Flatten dist/ so that templates refer to vendor/<package>/<file>.
    const to = join(destination, file.replace(/^dist\//, ""));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
  }
  manifest[pkg] = version(pkg);
}

writeFileSync(join(vendor, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`copy-vendor: ${Object.entries(manifest).map(([p, v]) => `${p}@${v}`).join(", ")} -> ${vendor}`);
