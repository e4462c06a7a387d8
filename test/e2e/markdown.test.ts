/**
 * Messages' Markdown in a real browser: formatting shows, and no message can run script,
 * link anywhere but http(s)/mailto, or put any element in the page beyond the renderer's own.
 *
 *   node scripts/build-web.mjs && npx vitest run --config test/e2e/vitest.config.ts test/e2e/markdown.test.ts
 */
import { describe, expect, it } from "vitest";
import { MAX_BODY } from "../../worker/protocol";
import { WAIT, log, messageTexts, send, shoot, skipBrowser, twoInARoom, useSession } from "./browser";

/** Each would set window.__xss (or open a dialog, which browser.ts counts) if it ran. */
const RUN = "window.__xss=1";
const CORPUS = [
  `<script>${RUN}</script>`,
  `<img src=x onerror="${RUN}">`,
  `<img src="x" onerror="alert(1)">`,
  `<svg onload="${RUN}"></svg>`,
  `<iframe src="javascript:${RUN}"></iframe>`,
  `<a href="javascript:${RUN}">click</a>`,
  `<a href="https://example.com" onclick="${RUN}">x</a>`,
  `javascript:${RUN}`,
  `JaVaScRiPt:${RUN}`,
  `java\tscript:${RUN}`,
  `&#106;avascript:${RUN}`,
  `[click](javascript:${RUN})`,
  `![img](javascript:${RUN})`,
  `[x](https://example.com "t" onclick=${RUN})`,
  `[click](data:text/html,<script>${RUN}</script>)`,
  `data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==`,
  `vbscript:msgbox(1)`,
  `<https://example.com" onmouseover="${RUN}>`,
  `https://example.com/"><script>${RUN}</script>`,
  `https://example.com/<img src=x onerror=${RUN}>`,
  `https://example.com/?q=<svg/onload=${RUN}>`,
  `https://example.com/javascript:${RUN}`,
  `mailto:x@example.com?body=<script>${RUN}</script>`,
  `**<img src=x onerror=${RUN}>**`,
  `***_~~<b onmouseover=${RUN}>nested</b>~~_***`,
  `\`<script>${RUN}</script>\``,
  `\`\`\`html\n<script>${RUN}</script>\n\`\`\``,
  `\`\`\`\nunterminated <img src=x onerror=${RUN}>\n**not bold**`,
  `> <script>${RUN}</script>\n>> <img src=x onerror=${RUN}>`,
  `- <img src=x onerror=${RUN}>\n- [x](javascript:${RUN})\n1. <svg onload=${RUN}>`,
  `&lt;script&gt;${RUN}&lt;/script&gt;`,
  `<style>body{display:none}</style>`,
  `<object data="javascript:${RUN}"></object>`,
  `<embed src="javascript:${RUN}">`,
  `<math><mtext><table><mglyph><style><img src=x onerror=${RUN}>`,
  `<form action="javascript:${RUN}"><button>x</button></form>`,
  `<details open ontoggle="${RUN}">`,
  `<input autofocus onfocus="${RUN}">`,
  `<body onload="${RUN}">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${RUN}">`,
  `<base href="javascript:/">`,
  "`` ` `` ``` `` ` unclosed ``",
  "\u202ehttps://evil.example/gpj.exe",
  "[".repeat(2000) + `](javascript:${RUN})`,
  // Huge inputs, at the body limit.
  "*".repeat(MAX_BODY),
  "<script>".repeat(MAX_BODY / 8),
  "*_".repeat(MAX_BODY / 4) + "_*".repeat(MAX_BODY / 4),
  "```".repeat(Math.floor(MAX_BODY / 3)),
  `https://${"a(".repeat(1000)}`.slice(0, MAX_BODY),
];

/** Every element a message's text may hold, with the attributes each may carry. */
const ALLOWED: Record<string, string[]> = {
  P: [],
  STRONG: [],
  EM: [],
  DEL: [],
  CODE: [],
  PRE: [],
  BLOCKQUOTE: [],
  UL: [],
  LI: [],
  OL: ["start"],
  A: ["href", "target", "rel"],
  DIV: ["class"],
  BUTTON: ["type", "class", "aria-live"],
};

describe.skipIf(skipBrowser)("Markdown in messages", () => {
  const s = useSession();

  it("formatting shows: bold, italic, strike, code, links, quotes, lists, a code block with a copy button", async () => {
    const { alice, bob } = await twoInARoom(s);
    // Not say(): that compares the text as written with the row's, which has no markers.
    await send(alice.page, "**bold** _italic_ ~~gone~~ `x < y` see https://en.wikipedia.org/wiki/Set_(mathematics).");
    await send(alice.page, "> quoted\n- one\n- two\n```\nconst a = 1;\n```");
    await send(alice.page, "```\n" + "a long line that scrolls sideways, ".repeat(8) + "\n```\n1. first\n2. second");
    const text = log(bob.page).locator(".msg .text");
    await text.locator("ol").waitFor({ timeout: WAIT });
    expect(await text.locator("strong").textContent()).toBe("bold");
    expect(await text.locator("em").textContent()).toBe("italic");
    expect(await text.locator("del").textContent()).toBe("gone");
    expect(await text.locator(":not(pre) > code").textContent()).toBe("x < y");
    const link = text.getByRole("link");
    expect(await link.textContent()).toBe("https://en.wikipedia.org/wiki/Set_(mathematics)");
    expect(await link.getAttribute("href")).toBe("https://en.wikipedia.org/wiki/Set_(mathematics)");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(await text.locator("blockquote").textContent()).toBe("quoted");
    expect(await text.locator("ul > li").allTextContents()).toEqual(["one", "two"]);
    expect(await text.locator("pre > code").first().textContent()).toBe("const a = 1;");
    // A long code line scrolls in its block; the page never scrolls sideways.
    await shoot(bob.page, "markdown");

    await bob.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.base });
    await text.getByRole("button", { name: "Copy" }).first().click();
    await text.getByRole("button", { name: "Copied" }).waitFor({ timeout: WAIT });
    expect(await bob.page.evaluate(() => navigator.clipboard.readText())).toBe("const a = 1;");
  });

  it(`an XSS corpus of ${CORPUS.length} payloads renders inert`, async () => {
    const { alice, bob } = await twoInARoom(s);
    // The outbox paces them by the room's budget (10/s, burst 20); the test only types.
    for (const payload of CORPUS) await send(alice.page, payload);
    for (const p of [alice.page, bob.page]) {
      await expect.poll(() => log(p).locator(".msg:not(.sending) .text").count(), { timeout: 4 * WAIT }).toBe(CORPUS.length);
    }

    for (const p of [alice.page, bob.page]) {
      expect(await p.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      const text = log(p).locator(".msg .text");
      const hrefs = await text.locator("a").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).protocol));
      expect(hrefs.length).toBeGreaterThan(0);
      for (const protocol of hrefs) expect(["http:", "https:", "mailto:"]).toContain(protocol);
      const strays = await text.locator("*").evaluateAll(
        (els, allowed) =>
          els.flatMap((e) => {
            const ok = allowed[e.tagName];
            const attrs = e.getAttributeNames();
            return ok && attrs.every((a) => ok.includes(a)) ? [] : [`<${e.tagName.toLowerCase()} ${attrs.join(" ")}>`];
          }),
        ALLOWED,
      );
      expect(strays).toEqual([]);
    }
    // Raw HTML is there to read, as written.
    const texts = await messageTexts(bob.page);
    for (const raw of CORPUS.slice(0, 7)) expect(texts).toContain(raw);
  });
});
