#!/usr/bin/env node
/**
 * Bundles the web client into web/dist (served by the Worker as static assets).
 *
 *   node scripts/build-web.mjs           one production build, prints sizes
 *   node scripts/build-web.mjs --watch   rebuilds on change
 *
 * Output: dist/index.html (rewritten to point at content-hashed files),
 * dist/assets/main-<hash>.{js,css} (+ .map) and dist/_headers, which tells the
 * static-asset server to cache hashed files forever and to send a CSP with every page.
 */
import { context, build } from "esbuild";
import { readFile, writeFile, rm, mkdir } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const web = path.join(root, "web");
const dist = path.join(web, "dist");
const watch = process.argv.includes("--watch");

// Same-origin only. Styles are set through the CSSOM by Preact (allowed), never
// through inline style attributes or <style> tags, so 'unsafe-inline' is not needed.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const HEADERS = `/*
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: same-origin
/assets/*
  Cache-Control: public, max-age=31536000, immutable
`;

/** Writes index.html and _headers once esbuild has produced the hashed bundle. */
const htmlPlugin = {
  name: "html",
  setup(b) {
    b.onEnd(async (result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const outputs = Object.keys(result.metafile.outputs).map((f) => "/" + path.relative(dist, path.resolve(root, f)));
      const js = outputs.find((f) => f.endsWith(".js"));
      const css = outputs.find((f) => f.endsWith(".css"));
      if (!js || !css) throw new Error(`build-web: missing outputs in ${outputs.join(", ")}`);
      const template = await readFile(path.join(web, "index.html"), "utf8");
      const html = template
        .replace("<!--CSS-->", `<link rel="stylesheet" href="${css}">`)
        .replace("<!--JS-->", `<script type="module" src="${js}"></script>`);
      await writeFile(path.join(dist, "index.html"), html);
      await writeFile(path.join(dist, "_headers"), HEADERS);
      if (watch) console.log(`build-web: rebuilt ${js} ${css}`);
    });
  },
};

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: { main: "web/main.tsx", styles: "web/styles.css" },
  outdir: "web/dist/assets",
  entryNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: !watch,
  sourcemap: "external",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
  plugins: [htmlPlugin],
};

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log("build-web: watching web/ and worker/protocol/ …");
} else {
  const result = await build(options);
  const files = [...Object.keys(result.metafile.outputs).filter((f) => !f.endsWith(".map")), "web/dist/index.html"];
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = await readFile(path.join(root, f));
    const z = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += z;
    console.log(`  ${f.padEnd(40)} ${kb(bytes.length).padStart(9)}  gzip ${kb(z).padStart(8)}`);
  }
  console.log(`  ${"total".padEnd(40)} ${kb(raw).padStart(9)}  gzip ${kb(gz).padStart(8)}`);
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} kB`;
}
