// Builds widget/dist: widget.js (one self-contained script: client, socket.io-client and styles), chat.html,
// chat.js and chat.css (the mobile page), charts.js (Chart.js for the console's dashboard), LICENSES.txt (the bundled
// packages' licences); prints their sizes.
//
//   node build.mjs            minified, as served
//   node build.mjs --dev      readable, with source maps
import { readFileSync, writeFileSync, mkdirSync, rmSync, copyFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const dev = process.argv.includes("--dev");
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const banner = `/*! Kefu web chat ${pkg.version} | bundles socket.io-client (MIT): see /widget/LICENSES.txt */`;
const common = {
  bundle: true,
  minify: !dev,
  sourcemap: dev ? "linked" : false,
  legalComments: "none",
  target: ["es2019", "chrome80", "firefox78", "safari13"],
  logLevel: "warning",
  metafile: true,
};

// `import css from "./widget.css"` gives the minified style sheet as a string (it goes into the Shadow DOM).
const cssAsText = {
  name: "css-as-text",
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const out = await esbuild.build({ ...common, entryPoints: [args.path], write: false, metafile: false, sourcemap: false });
      return { contents: out.outputFiles[0].text.trim(), loader: "text" };
    });
  },
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const results = await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [join(here, "src/widget.js")],
    outfile: join(dist, "widget.js"),
    format: "iife",
    banner: { js: banner },
    plugins: [cssAsText],
  }),
  esbuild.build({
    ...common,
    entryPoints: [join(here, "src/chat.js")],
    outfile: join(dist, "chat.js"),
    format: "iife",
    banner: { js: banner },
  }),
  esbuild.build({ ...common, entryPoints: [join(here, "src/chat.css")], outfile: join(dist, "chat.css") }),
  esbuild.build({
    ...common,
    entryPoints: [join(here, "src/charts.js")],
    outfile: join(dist, "charts.js"),
    format: "iife",
    banner: { js: `/*! Kefu console charts | bundles chart.js (MIT): see /widget/LICENSES.txt */` },
  }),
]);
copyFileSync(join(here, "chat.html"), join(dist, "chat.html"));

// The licence of every npm package that went into a bundle.
const packages = new Set();
for (const { metafile } of results) {
  for (const input of Object.keys(metafile.inputs)) {
    const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (match) packages.add(match[1]);
  }
}
const notices = [...packages].sort().map((name) => {
  const root = join(here, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const file = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license"].map((f) => join(root, f)).find(existsSync);
  const text = file ? readFileSync(file, "utf8").trim() : `License: ${meta.license}`;
  return `${name} ${meta.version} (${meta.license})\n\n${text}\n`;
});
writeFileSync(join(dist, "LICENSES.txt"), `Packages bundled into Kefu's web chat and console charts:\n\n${notices.join("\n" + "-".repeat(72) + "\n\n")}`);

const rows = ["widget.js", "chat.js", "chat.css", "chat.html", "charts.js"].map((name) => {
  const data = readFileSync(join(dist, name));
  return { file: name, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length };
});
writeFileSync(join(dist, "sizes.json"), JSON.stringify(rows, null, 2) + "\n");
for (const { file, bytes, gzip } of rows) {
  console.log(`  ${file.padEnd(10)} ${(bytes / 1024).toFixed(1).padStart(6)} KiB  ${(gzip / 1024).toFixed(1).padStart(5)} KiB gzip`);
}
console.log(`  bundled: ${[...packages].sort().join(", ")}`);
