// The page's build: bundles src/main.js (MapLibre GL JS included) into
// ../src/wellclear/web/static/app.js, copies the page and the styles, and turns Natural Earth's
// land (world-atlas, public domain) into GeoJSON for the offline basemap. Deterministic: the
// output is checked in and CI checks that it matches these sources.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { feature } from "topojson-client";

const out = new URL("../src/wellclear/web/static/", import.meta.url);
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [new URL("src/main.js", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "eof",
  outfile: new URL("app.js", out).pathname,
});

copyFileSync(new URL("src/index.html", import.meta.url), new URL("index.html", out));
const css =
  readFileSync(new URL("node_modules/maplibre-gl/dist/maplibre-gl.css", import.meta.url), "utf8") +
  readFileSync(new URL("src/style.css", import.meta.url), "utf8");
writeFileSync(new URL("app.css", out), css);

// the licences of what the build ships (MapLibre GL JS: BSD-3-Clause; world-atlas: ISC, its
// Natural Earth data in the public domain; topojson-client: ISC)
const licences = ["maplibre-gl/LICENSE.txt", "world-atlas/LICENSE", "topojson-client/LICENSE"].map(
  (name) => `== ${name.split("/")[0]} ==\n\n` + readFileSync(new URL(`node_modules/${name}`, import.meta.url), "utf8"),
);
writeFileSync(new URL("LICENSES.txt", out), licences.join("\n\n"));

// land at 1:50m, coordinates rounded to 0.001 degree (about 100 m)
const topo = JSON.parse(
  readFileSync(new URL("node_modules/world-atlas/land-50m.json", import.meta.url), "utf8"),
);
const round = (c) => (typeof c[0] === "number" ? c.map((v) => Math.round(v * 1e3) / 1e3) : c.map(round));
const land = feature(topo, topo.objects.land);
for (const f of land.features ?? [land]) f.geometry.coordinates = round(f.geometry.coordinates);
writeFileSync(new URL("land.json", out), JSON.stringify(land));
