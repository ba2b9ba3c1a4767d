// Build Casepath's front-end assets into web/static/vendor (gitignored): `npm ci && node web/build-assets.mjs`.
// Compiles the GOV.UK Sass with Arial (no GDS font), copies the browser files the pages load, and bundles the
// editor's add-ons (properties panel, bpmnlint, web/assets/editor) with esbuild into one IIFE beside the modeler.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "web", "static", "vendor");
const started = Date.now();

function copy(from, to) {
  const source = join(modules, from);
  if (!existsSync(source)) throw new Error(`missing ${source}: run \`npm ci\` first`);
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  cpSync(source, join(vendor, to), { recursive: true });
}

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });

const css = sass.compile(join(root, "web", "assets", "casepath.scss"), {
  loadPaths: [modules],
  style: "compressed",
  quietDeps: true,
});
writeFileSync(join(vendor, "casepath.css"), css.css);

copy("govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk/govuk-frontend.min.js");
copy("govuk-frontend/dist/govuk/assets/images", "govuk/assets/images");
copy("bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js");
copy("bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js");
copy("bpmn-js/dist/assets/diagram-js.css", "bpmn-js/diagram-js.css");
copy("bpmn-js/dist/assets/bpmn-font", "bpmn-js/bpmn-font");
copy("bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/bpmn-js.css");
copy("@bpmn-io/properties-panel/dist/assets/properties-panel.css", "casepath-editor/properties-panel.css");
copy("bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css", "casepath-editor/bpmn-js-bpmnlint.css");
await esbuild.build({
  entryPoints: [join(root, "web", "assets", "editor", "index.js")],
  outfile: join(vendor, "casepath-editor", "casepath-editor.js"),
  bundle: true,
  format: "iife",
  globalName: "CasepathEditor",
  minify: true,
  target: "es2019",
  legalComments: "linked",
  logLevel: "warning",
});
copy("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js");
copy("axe-core/axe.min.js", "axe-core/axe.min.js");
if (existsSync(join(modules, "swagger-ui-dist"))) copy("swagger-ui-dist", "swagger-ui");

console.log(`built web/static/vendor in ${((Date.now() - started) / 1000).toFixed(1)} s`);
