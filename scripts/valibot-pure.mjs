/**
 * An esbuild plugin that lets unused protocol schemas be tree-shaken out of the client.
 *
 * valibot marks its builders side-effect free (`/* @__NO_SIDE_EFFECTS__ *\/ function object…`),
 * but esbuild honours that annotation only for calls in the same file (evanw/esbuild#4369), so
 * every `export const X = v.object({…})` in worker/protocol/ stayed in the bundle whether or
 * not the client uses X (the worker-only request bodies, the invite and upload answers…), and
 * with it the valibot code it needs. This carries valibot's own annotation across the module
 * boundary: in a source file that imports valibot as `* as v`, a call `v.name(` of a function
 * valibot declares free of side effects gets a `/* @__PURE__ *\/` comment, which esbuild does
 * honour. The set of names is read from valibot's ESM build, so it follows the installed
 * version; a call to anything else (or a local `v` that is not valibot) is left as it is.
 */
import { readFile } from "node:fs/promises";

const IMPORT_RE = /import \* as v from "valibot"/;
const ANNOTATED_RE = /\/\* @__NO_SIDE_EFFECTS__ \*\/\s*function (\w+)\(/g;

/** @returns {import("esbuild").Plugin} */
export function valibotPurePlugin() {
  return {
    name: "valibot-pure",
    setup(b) {
      /** @type {Promise<Set<string>> | null} */
      let names = null;
      const pureNames = async (resolveDir) => {
        const r = await b.resolve("valibot", { kind: "import-statement", resolveDir });
        if (r.errors.length > 0 || !r.path) throw new Error("valibot-pure: cannot resolve valibot");
        const src = await readFile(r.path, "utf8");
        const set = new Set([...src.matchAll(ANNOTATED_RE)].map((m) => m[1]));
        if (set.size === 0) throw new Error(`valibot-pure: no @__NO_SIDE_EFFECTS__ functions in ${r.path}`);
        return set;
      };
      b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        if (args.path.includes("node_modules")) return undefined;
        const source = await readFile(args.path, "utf8");
        if (!IMPORT_RE.test(source)) return undefined;
        names ??= pureNames(b.initialOptions.absWorkingDir ?? process.cwd());
        const pure = await names;
        const contents = source.replace(/(?<![\w$.])v\.(\w+)\(/g, (call, name) => (pure.has(name) ? `/* @__PURE__ */ ${call}` : call));
        return { contents, loader: args.path.endsWith(".tsx") ? "tsx" : "ts" };
      });
    },
  };
}
