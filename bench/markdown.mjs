#!/usr/bin/env node
/**
 * How long a message's Markdown takes to show, on the worst inputs of the body limit
 * (MAX_BODY, 4,000 characters). Measured, printed, never asserted (the goal is under
 * 50 ms in Chromium; these machines are shared, so a figure is a figure of its moment).
 *
 *   node bench/markdown.mjs
 *
 * For each input: parse alone in Node (web/state/markdown.ts), and the whole render in
 * headless Chromium (the <Markdown> component rendered by Preact into a fresh element:
 * parse, nodes, DOM). The page first renders one ordinary message, as the app has by the
 * time a message arrives (Preact's own code warm); then each input's first render (its
 * own paths cold), and the median and worst of the next ten. Beside each, in the same page
 * and run, the reference: the same text rendered as one plain text node (what a chat without
 * Markdown would do; the mean of 50 renders, as one is below the page clock's 0.1 ms step),
 * and the ratio of the medians.
 */
import { build } from "esbuild";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../test/support/wrangler-dev.mjs";

const root = path.resolve(import.meta.dirname, "..");
const LIMIT = 4000;
const fill = (unit) => unit.repeat(Math.ceil(LIMIT / unit.length)).slice(0, LIMIT);

/** @type {[string, string][]} */
const INPUTS = [
  ["4,000 × *", fill("*")],
  ["** nesting", fill("**a ")],
  ["*_ alternating, closed", "*_".repeat(1000) + "_*".repeat(1000)],
  ["[ runs", fill("[")],
  ["URL-like run", fill("http://")],
  ["@[ runs (mention openers)", fill("@[")],
  ["unclosed mention labels", fill("@[" + "a".repeat(63) + "]")],
  ["300 mentions", fill("@[Someone](u-0123456789abcdefghij) ")],
  ["2,000 backticks", "`".repeat(2000)],
  ["backtick runs 1..20", fill(Array.from({ length: 20 }, (_, i) => "`".repeat(i + 1) + "x").join(""))],
  ["> 4,000 deep", fill(">")],
  ["1,000 list items", fill("- a\n")],
  ["1,000 fences", fill("```\n")],
  ["every construct", fill("**b** _i_ ~~s~~ `c` https://a.example/x_(y).\n> q\n- l\n```\nk\n```\n")],
];

const { parseMarkdown } = await import(path.join(root, "web/state/markdown.ts"));

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const ms = (x) => x.toFixed(2).padStart(7);

const bundle = await build({
  stdin: {
    contents: `import { h, render } from "preact";
      import { Markdown } from "./web/ui/messages/Markdown.tsx";
      const Plain = ({ text }) => h("p", null, text);
      globalThis.renderPlain = (text, n) => {
        const el = document.createElement("div");
        document.body.append(el);
        const t = performance.now();
        for (let i = 0; i < n; i++) {
          render(h(Plain, { text: text + i }), el);
          render(null, el);
        }
        const took = (performance.now() - t) / n;
        el.remove();
        return took;
      };
      globalThis.renderMarkdown = (text) => {
        const el = document.createElement("div");
        el.dir = "auto"; // as the message row's .text: direction from its own text
        document.body.append(el);
        const t = performance.now();
        render(h(Markdown, { text }), el);
        const took = performance.now() - t;
        const elements = el.querySelectorAll("*").length;
        render(null, el);
        el.remove();
        return { took, elements };
      };`,
    resolveDir: root,
    loader: "js",
  },
  bundle: true,
  write: false,
  format: "iife",
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  define: { "process.env.NODE_ENV": '"production"' },
});

const executablePath = findChromium();
if (!executablePath) throw new Error("chromium not found at /usr/bin/chromium (or $CHROMIUM_PATH)");
const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
try {
  const page = await browser.newPage();
  await page.addScriptTag({ content: bundle.outputFiles[0]?.text ?? "" });
  await page.evaluate(() => /** @type {any} */ (globalThis).renderMarkdown("**Hi** _there_, see `x` at https://a.example\n- one"));
  console.log(`${"input".padEnd(26)} chars   parse (Node)   render in Chromium: first median   worst  elements   plain text: mean     ratio`);
  for (const [name, text] of INPUTS) {
    const parses = Array.from({ length: 11 }, () => {
      const t = performance.now();
      parseMarkdown(text);
      return performance.now() - t;
    });
    /** @type {{ took: number; elements: number }[]} */
    const renders = [];
    for (let i = 0; i < 11; i++) renders.push(await page.evaluate((t) => /** @type {any} */ (globalThis).renderMarkdown(t), text));
    const warm = renders.slice(1).map((r) => r.took);
    const ref = await page.evaluate((t) => /** @type {any} */ (globalThis).renderPlain(t, 50), text);
    console.log(
      `${name.padEnd(26)} ${String(text.length).padStart(5)} ${ms(median(parses.slice(1)))} ms ${" ".repeat(19)}${ms(renders[0]?.took ?? 0)} ${ms(median(warm))} ${ms(Math.max(...warm))}  ${String(renders[0]?.elements).padStart(8)}   ${" ".repeat(10)}${ms(ref)} ${(median(warm) / Math.max(ref, 0.001)).toFixed(1).padStart(6)}×`,
    );
  }
} finally {
  await browser.close();
}
