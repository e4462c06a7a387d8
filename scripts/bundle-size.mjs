/**
 * What the client costs to download, from esbuild's metafile (scripts/build-web.mjs prints it
 * after every production build):
 *
 * - the critical set: the entry chunk and every chunk it imports statically (transitively),
 *   that is all the JS the browser must fetch and run before the first room shows and a
 *   message can be sent. index.html modulepreloads it. Budget: BUDGET bytes gzipped;
 * - the chunks loaded on demand by a dynamic `import()` (calls, the emoji picker, uploads…),
 *   named by the module they were imported as;
 * - the total.
 *
 * Gzip at level 9, as the numbers in web/README.md. `--modules` also lists the bytes each
 * source module puts into the critical set (minified, before gzip), largest first.
 */
import { gzipSync } from "node:zlib";
import path from "node:path";

/** The critical set's budget, gzipped (issue 12): 30 KiB. */
export const BUDGET = 30 * 1024;
/** For comparison: the one bundle everything was before code splitting (main at aad6afe), gzipped. */
const BEFORE_SPLITTING = 53737;

/**
 * @param {import("esbuild").Metafile} metafile
 * @param {string} entry the entry point as the metafile names it ("web/main.tsx")
 * @returns {{ entry: string, critical: string[], lazy: string[] }} output paths, as the metafile names them
 */
export function chunkGraph(metafile, entry) {
  const outputs = metafile.outputs;
  const main = Object.keys(outputs).find((o) => outputs[o].entryPoint === entry);
  if (!main) throw new Error(`bundle-size: no output for ${entry}`);
  const critical = [];
  const todo = [main];
  while (todo.length) {
    const o = todo.pop();
    if (critical.includes(o)) continue;
    critical.push(o);
    for (const i of outputs[o].imports) if (i.kind === "import-statement" && !i.external) todo.push(i.path);
  }
  const lazy = Object.keys(outputs).filter((o) => o.endsWith(".js") && !critical.includes(o));
  return { entry: main, critical, lazy };
}

/**
 * Prints the report. `bytesOf(output)` gives an output file's bytes (what was written).
 * Returns the critical set's gzipped size.
 * @param {import("esbuild").Metafile} metafile
 * @param {string} entry
 * @param {(output: string) => Buffer} bytesOf
 * @param {{ modules?: boolean, log?: (line: string) => void }} [opts]
 */
export function report(metafile, entry, bytesOf, opts = {}) {
  const log = opts.log ?? console.log;
  const g = chunkGraph(metafile, entry);
  const size = (o) => {
    const b = bytesOf(o);
    return { raw: b.length, gz: gzipSync(b, { level: 9 }).length };
  };
  const name = (o) => path.basename(o);
  // A part's entry point, as the source file (build-web.mjs wraps each part: "lazy-part:/abs/path").
  const what = (o) => {
    const ep = metafile.outputs[o].entryPoint;
    if (ep) return path.relative(process.cwd(), ep.replace(/^[\w-]+:/, ""));
    // A chunk of modules several parts share: named by its largest one.
    const inputs = Object.entries(metafile.outputs[o].inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
    return `shared: ${inputs[0]?.[0] ?? "?"}${inputs.length > 1 ? ` +${inputs.length - 1}` : ""}`;
  };
  const label = (o) => `${name(o)} (${o === g.entry ? "entry" : what(o)})`;
  const width = Math.max(44, ...[...g.critical, ...g.lazy].map((o) => label(o).length));
  const line = (text, s, note = "") => log(`  ${text.padEnd(width)} ${kib(s.raw).padStart(10)}  gzip ${kib(s.gz).padStart(10)}${note}`);
  const sum = (list) => list.map(size).reduce((a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz }), { raw: 0, gz: 0 });

  log("  JS before anything is clicked (the entry and its static imports):");
  for (const o of g.critical) line(label(o), size(o));
  const crit = sum(g.critical);
  const verdict = crit.gz <= BUDGET ? "within" : "OVER";
  line("critical set", crit, `  = ${crit.gz} B, ${verdict} the ${kib(BUDGET)} budget (one bundle before splitting: ${BEFORE_SPLITTING} B)`);
  log("  JS loaded on demand (dynamic import()):");
  for (const o of g.lazy.sort((a, b) => size(b).gz - size(a).gz)) line(label(o), size(o));
  line("all JS", sum([...g.critical, ...g.lazy]));

  if (opts.modules) {
    const inputs = new Map();
    for (const o of g.critical) {
      for (const [file, v] of Object.entries(metafile.outputs[o].inputs)) inputs.set(file, (inputs.get(file) ?? 0) + v.bytesInOutput);
    }
    log("  Source modules in the critical set (minified bytes, before gzip):");
    for (const [file, bytes] of [...inputs].sort((a, b) => b[1] - a[1])) if (bytes > 0) log(`  ${String(bytes).padStart(8)}  ${file}`);
  }
  return crit.gz;
}

export function kib(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}
