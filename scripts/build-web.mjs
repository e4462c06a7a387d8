#!/usr/bin/env node
/**
 * Bundles the web client into web/dist (served by the Worker as static assets).
 *
 *   node scripts/build-web.mjs           one production build, prints sizes
 *   node scripts/build-web.mjs --watch   rebuilds on change
 *
 * Output: web/dist/index.html (rewritten to point at content-hashed files),
 * dist/assets/main-<hash>.js, dist/assets/styles-<hash>.css (web/styles/index.css and
 * everything it imports, as one file) (+ .map) and dist/_headers, which tells the
 * static-asset server to cache hashed files forever and to send a CSP with every page.
 */
import { context, build } from "esbuild";
import { readFile, writeFile, rm, mkdir, readdir } from "node:fs/promises";
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

/**
 * Writes the bundle, index.html and _headers, touching only files whose bytes changed and
 * removing stale ones. wrangler watches web/ (dist included) and rebuilds on any change:
 * an identical rebuild must write nothing, or it would trigger itself again.
 */
const writePlugin = {
  name: "write-dist",
  setup(b) {
    b.onEnd(async (result) => {
      if (result.errors.length > 0 || !result.outputFiles) return;
      const files = new Map(result.outputFiles.map((f) => [path.relative(dist, f.path), Buffer.from(f.contents)]));
      const url = (ext) => {
        const f = [...files.keys()].find((k) => k.endsWith(ext));
        if (!f) throw new Error(`build-web: no ${ext} output`);
        return "/" + f.split(path.sep).join("/");
      };
      const template = await readFile(path.join(web, "index.html"), "utf8");
      const html = template
        .replace("<!--CSS-->", `<link rel="stylesheet" href="${url(".css")}">`)
        .replace("<!--JS-->", `<script type="module" src="${url(".js")}"></script>`);
      files.set("index.html", Buffer.from(html));
      files.set("_headers", Buffer.from(HEADERS));
      let changed = 0;
      for (const [rel, bytes] of files) {
        const file = path.join(dist, rel);
        const old = await readFile(file).catch(() => null);
        if (old && old.equals(bytes)) continue;
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, bytes);
        changed++;
      }
      for (const rel of await listFiles(dist)) {
        if (!files.has(rel)) {
          await rm(path.join(dist, rel));
          changed++;
        }
      }
      lastFiles = files;
      if (watch) console.log(`build-web: ${changed ? `${changed} file(s) updated` : "no change"}`);
    });
  },
};

/** @type {Map<string, Buffer>} */
let lastFiles = new Map();

const STYLES = path.join(web, "styles");
const TOKENS = path.join(STYLES, "tokens.css");
const CUSTOM_MEDIA_RE = /@custom-media\s+(--[\w-]+)\s+([^;]+);/g;

/**
 * The breakpoints are declared once, in web/styles/tokens.css, as standard `@custom-media`
 * rules (Media Queries 5). No browser supports them yet and esbuild passes them through
 * as they are, so this resolves them as each stylesheet loads: `@media (--phone)` becomes
 * `@media (max-width: 720px)` and the declarations themselves are dropped. Lines stay where
 * they were, so the source map still points at the right line. A name that is not declared,
 * or a declaration outside tokens.css, fails the build: a typo must not become a query that
 * never matches.
 */
const customMediaPlugin = {
  name: "custom-media",
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      if (!args.path.startsWith(STYLES + path.sep)) return undefined;
      const tokens = await readFile(TOKENS, "utf8");
      /** @type {Map<string, string>} */
      const queries = new Map();
      for (const [, name, query] of tokens.matchAll(CUSTOM_MEDIA_RE)) {
        const q = query.trim();
        // A single `(feature: value)` goes in as it is; anything longer in parentheses.
        queries.set(name, /^\([^()]*\)$/.test(q) ? q : `(${q})`);
      }
      const source = await readFile(args.path, "utf8");
      /** @type {import("esbuild").PartialMessage[]} */
      const errors = [];
      const at = (index, text) => {
        const start = source.lastIndexOf("\n", index - 1) + 1;
        const end = source.indexOf("\n", index);
        const line = source.slice(0, start).split("\n").length;
        const lineText = source.slice(start, end === -1 ? undefined : end);
        errors.push({ text, location: { file: path.relative(root, args.path), line, column: index - start, lineText } });
      };
      let css = source.replace(CUSTOM_MEDIA_RE, (decl, _name, _query, index) => {
        if (args.path !== TOKENS) at(index, "@custom-media belongs in web/styles/tokens.css");
        return "";
      });
      css = css.replace(/@media[^{;]*/g, (prelude, index) =>
        prelude.replace(/\(\s*(--[\w-]+)\s*\)/g, (whole, name) => {
          const q = queries.get(name);
          if (q === undefined) at(index, `unknown breakpoint ${name} (declare it in web/styles/tokens.css)`);
          return q ?? whole;
        }),
      );
      // Every stylesheet depends on the declarations: a change to tokens.css rebuilds them.
      return { contents: css, loader: "css", errors, watchFiles: [TOKENS] };
    });
  },
};

async function listFiles(dir, base = dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(path.relative(base, p));
  }
  return out;
}

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: { main: "web/main.tsx", styles: "web/styles/index.css" },
  outdir: "web/dist/assets",
  entryNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: !watch,
  sourcemap: "external",
  write: false,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
  plugins: [customMediaPlugin, writePlugin],
};

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log("build-web: watching web/ and worker/protocol/ …");
} else {
  await build(options);
  let raw = 0;
  let gz = 0;
  for (const [rel, bytes] of lastFiles) {
    if (rel.endsWith(".map") || rel === "_headers") continue;
    const z = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += z;
    console.log(`  ${("web/dist/" + rel).padEnd(40)} ${kb(bytes.length).padStart(9)}  gzip ${kb(z).padStart(8)}`);
  }
  console.log(`  ${"total".padEnd(40)} ${kb(raw).padStart(9)}  gzip ${kb(gz).padStart(8)}`);
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} kB`;
}
