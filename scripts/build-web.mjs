#!/usr/bin/env node
/**
 * Bundles the web client into web/dist (served by the Worker as static assets).
 *
 *   node scripts/build-web.mjs           one production build, prints sizes
 *   node scripts/build-web.mjs --watch   rebuilds on change
 *
 *   node scripts/build-web.mjs --modules also lists what each source module adds to the critical set
 *
 * Output: web/dist/index.html (rewritten to point at content-hashed files),
 * dist/assets/main-<hash>.js (the entry), the chunks it shares with the parts loaded on
 * demand (chunk-<hash>.js) and those parts (<module>-<hash>.js, one per dynamic `import()`),
 * dist/assets/styles-<hash>.css (web/styles/index.css and everything it imports, as one file)
 * (+ .map), dist/sw.js (the service worker, web/sw/sw.ts), the web app manifest and icons
 * (web/manifest.webmanifest, web/icons/*, as they are; scripts/icons.mjs draws the icons) and
 * dist/_headers, which tells the static-asset server to cache hashed files forever and to send
 * a CSP with every page.
 *
 * Offline: the service worker precaches the app shell. Its list (`PRECACHE`: "/" for
 * index.html, the stylesheet, the entry and the chunks it imports, every part loaded on demand,
 * the manifest and icons) and
 * a version (`CACHE_VERSION`, a hash of those paths and their bytes, so every build that
 * changes any of them has a cache of its own) go into its bundle as constants.
 *
 * Code splitting: ESM output with `splitting`, so every dynamic `import()` in web/ becomes a
 * chunk fetched when it first runs, and code shared by several chunks goes into a shared chunk.
 * index.html modulepreloads the entry's static imports (the critical set), so the browser
 * fetches them in parallel with the entry instead of after parsing it. bundle-size.mjs reports
 * what the critical set costs; web/README.md says what loads when.
 */
import { context, build } from "esbuild";
import { readFile, writeFile, rm, mkdir, readdir } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import path from "node:path";
import { chunkGraph, report, kib } from "./bundle-size.mjs";
import { valibotPurePlugin } from "./valibot-pure.mjs";

const root = path.resolve(import.meta.dirname, "..");
const web = path.join(root, "web");
const dist = path.join(web, "dist");
const watch = process.argv.includes("--watch");
const ENTRY = "web/main.tsx";

// Same-origin only ('self' covers the entry, its chunks loaded by import() and the
// modulepreloads). Styles are set through the CSSOM by Preact (allowed), never
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
/sw.js
  Cache-Control: no-cache
`;

/**
 * The service worker (web/sw/sw.ts): its own classic-script bundle at /sw.js, a fixed name
 * at the root (a service worker controls only the paths under its own), never cached long.
 * `files` maps what the build writes (paths under dist) to its bytes; `shell` lists the URL
 * paths to precache, each one a file of `files` ("/" is index.html).
 */
async function buildServiceWorker(shell, files) {
  const hash = createHash("sha256");
  for (const u of shell) {
    const bytes = files.get(u === "/" ? "index.html" : u.slice(1));
    if (!bytes) throw new Error(`build-web: ${u} is precached but not written`);
    hash.update(`${u}\n${bytes.length}\n`).update(bytes);
  }
  const r = await build({
    absWorkingDir: root,
    entryPoints: ["web/sw/sw.ts"],
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: !watch,
    write: false,
    legalComments: "none",
    logLevel: "warning",
    define: { PRECACHE: JSON.stringify(shell), CACHE_VERSION: JSON.stringify(hash.digest("hex").slice(0, 16)) },
  });
  return Buffer.from(r.outputFiles[0].contents);
}

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
      const outputs = result.metafile.outputs;
      const url = (output) => "/" + path.relative(dist, path.join(root, output)).split(path.sep).join("/");
      const css = Object.keys(outputs).find((o) => o.endsWith(".css"));
      if (!css) throw new Error("build-web: no .css output");
      // The entry, and modulepreloads for what it imports statically: fetched at once, in parallel.
      const { entry, critical } = chunkGraphOf(result.metafile);
      const preloads = critical.filter((o) => o !== entry).map((o) => `<link rel="modulepreload" href="${url(o)}">`);
      const template = await readFile(path.join(web, "index.html"), "utf8");
      const html = template
        .replace("<!--CSS-->", [`<link rel="stylesheet" href="${url(css)}">`, ...preloads].join("\n    "))
        .replace("<!--JS-->", `<script type="module" src="${url(entry)}"></script>`);
      files.set("index.html", Buffer.from(html));
      files.set("_headers", Buffer.from(HEADERS));
      const statics = await staticFiles();
      for (const [rel, bytes] of statics) files.set(rel, bytes);
      // Every part loaded on demand too: the app opened offline needs its sidebar, its composer's parts…,
      // and a part the page loaded before the service worker controlled it never went through its cache.
      const parts = Object.keys(outputs).filter((o) => o.endsWith(".js") && !critical.includes(o));
      const shell = ["/", url(css), ...critical.map(url), ...parts.map(url), ...[...statics.keys()].map((rel) => `/${rel}`)];
      files.set("sw.js", await buildServiceWorker(shell, files));
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
      lastMeta = result.metafile;
      if (watch) console.log(`build-web: ${changed ? `${changed} file(s) updated` : "no change"}`);
    });
  },
};

/**
 * Files served as they are (dist-relative path → bytes): the web app manifest and the icons.
 * The manifest's colours are the page's background (`--bg` in web/styles/tokens.css, as the
 * meta theme-color of index.html): a mismatch fails the build rather than flash another colour
 * when the installed app starts.
 */
async function staticFiles() {
  const manifest = await readFile(path.join(web, "manifest.webmanifest"));
  const bg = /--bg:\s*(#[0-9a-f]+)\s*;/i.exec(await readFile(TOKENS, "utf8"))?.[1];
  const { theme_color, background_color } = JSON.parse(manifest.toString("utf8"));
  if (!bg || theme_color !== bg || background_color !== bg) {
    throw new Error(`build-web: web/manifest.webmanifest: theme_color and background_color must be --bg of web/styles/tokens.css (${bg})`);
  }
  /** @type {Map<string, Buffer>} */
  const out = new Map([["manifest.webmanifest", manifest]]);
  for (const rel of (await listFiles(path.join(web, "icons"))).sort()) {
    out.set(`icons/${rel.split(path.sep).join("/")}`, await readFile(path.join(web, "icons", rel)));
  }
  return out;
}

/** @type {Map<string, Buffer>} */
let lastFiles = new Map();
/** @type {import("esbuild").Metafile | null} */
let lastMeta = null;

function chunkGraphOf(metafile) {
  return chunkGraph(metafile, ENTRY);
}

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

/**
 * Every part loaded on demand (a dynamic `import()` in web/) imports the entry first, through
 * a wrapper made here: `import "web/main.tsx"; export * from "<the part>"`. It changes nothing
 * at run time (the entry is loaded and evaluated already when a part loads), but it tells
 * esbuild what it cannot see by itself: whatever the entry imports is always there before any
 * part. esbuild puts each module in a chunk per set of entry points (the entry and each part)
 * that reach it, so without this a module the entry shares with, say, the emoji picker and
 * another with calls would land in two small chunks, both in the critical set; measured, 12
 * files and 3.0 KiB more gzipped than one. With it, everything the entry reaches is in one chunk
 * the entry imports (and the entry file itself is a line that imports it), and a part's chunk
 * has only what the entry does not.
 */
const lazyPartsPlugin = {
  name: "lazy-parts",
  setup(b) {
    const entry = path.join(root, ENTRY);
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind !== "dynamic-import" || args.namespace !== "file") return undefined;
      const r = await b.resolve(args.path, { kind: "import-statement", resolveDir: args.resolveDir, importer: args.importer });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: r.path, namespace: "lazy-part" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-part" }, (args) => ({
      contents: `import ${JSON.stringify(entry)};\nexport * from ${JSON.stringify(args.path)};\n`,
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
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
  entryPoints: { main: ENTRY, styles: "web/styles/index.css" },
  outdir: "web/dist/assets",
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  splitting: true,
  metafile: true,
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: !watch,
  sourcemap: "external",
  write: false,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
  plugins: [customMediaPlugin, valibotPurePlugin(), lazyPartsPlugin, writePlugin],
};

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log("build-web: watching web/ and worker/protocol/ …");
} else {
  await build(options);
  for (const [rel, bytes] of lastFiles) {
    if (rel.endsWith(".map") || rel.endsWith(".js") || rel === "_headers") continue;
    const z = gzipSync(bytes, { level: 9 }).length;
    console.log(`  ${("web/dist/" + rel).padEnd(44)} ${kib(bytes.length).padStart(10)}  gzip ${kib(z).padStart(10)}`);
  }
  const bytesOf = (output) => {
    const b = lastFiles.get(path.relative(dist, path.join(root, output)));
    if (!b) throw new Error(`build-web: ${output} was not written`);
    return b;
  };
  report(lastMeta, ENTRY, bytesOf, { modules: process.argv.includes("--modules") });
}
