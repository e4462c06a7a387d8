import { describe, expect, it } from "vitest";
import { MAX_FORMATTED, parseMarkdown, plainText, type Block, type Inline } from "./markdown";

/** The inline content of a message that is one paragraph. */
const line = (text: string): Inline[] => {
  const blocks = parseMarkdown(text);
  expect(blocks).toHaveLength(1);
  expect(blocks[0]!.t).toBe("p");
  return (blocks[0] as Extract<Block, { t: "p" }>).c;
};
const link = (href: string): Inline => ({ t: "link", href });

describe("inline formatting", () => {
  it("bold, italic (* or _), strike and code", () => {
    expect(line("**b** *i* _i_ ~~s~~ `c`")).toEqual([
      { t: "b", c: ["b"] },
      " ",
      { t: "i", c: ["i"] },
      " ",
      { t: "i", c: ["i"] },
      " ",
      { t: "s", c: ["s"] },
      " ",
      { t: "code", text: "c" },
    ]);
  });

  it("nests, and *** is bold and italic", () => {
    expect(line("**a _b ~~c~~_**")).toEqual([{ t: "b", c: ["a ", { t: "i", c: ["b ", { t: "s", c: ["c"] }] }] }]);
    expect(line("***x***")).toEqual([{ t: "b", c: [{ t: "i", c: ["x"] }] }]);
  });

  it("leaves unmatched and crossed markers as text", () => {
    expect(line("**open")).toEqual(["**open"]);
    expect(line("a * b * c")).toEqual(["a * b * c"]);
    expect(line("~single~ ~~~triple~~~")).toEqual(["~single~ ~~~triple~~~"]);
    // The italic closes first; the bold opener inside it is left as text.
    expect(line("*a **b* c**")).toEqual([{ t: "i", c: ["a **b"] }, " c**"]);
  });

  it("does not read underscores inside words as italic", () => {
    expect(line("snake_case_name and __init__")).toEqual(["snake_case_name and __init__"]);
  });

  it("shows code literally: no formatting, no links, raw HTML as text", () => {
    expect(line("`**x** https://a.example <b>`")).toEqual([{ t: "code", text: "**x** https://a.example <b>" }]);
  });

  it("closes a code span with a run of as many backticks, trims one padding space", () => {
    expect(line("`` a ` b `` and ```x```")).toEqual([{ t: "code", text: "a ` b" }, " and ", { t: "code", text: "x" }]);
    expect(line("`unclosed and ``two")).toEqual(["`unclosed and ``two"]);
  });

  it("backslash escapes a marker", () => {
    expect(line("\\*not\\* \\`code\\`")).toEqual(["*not* `code`"]);
  });

  it("keeps raw HTML as text", () => {
    const html = '<script>alert(1)</script><img src=x onerror="alert(1)"><a href="javascript:alert(1)">x</a>';
    expect(line(html)).toEqual([html]);
  });
});

describe("links", () => {
  it("links http, https and mailto URLs, in any case", () => {
    expect(line("http://a.example https://b.example/x?y=1#z mailto:me@c.example HTTPS://D.EXAMPLE")).toEqual([
      link("http://a.example"),
      " ",
      link("https://b.example/x?y=1#z"),
      " ",
      link("mailto:me@c.example"),
      " ",
      link("HTTPS://D.EXAMPLE"),
    ]);
  });

  it("leaves every other scheme as text", () => {
    for (const s of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd", "ftp://a.example"]) {
      expect(line(s)).toEqual([s]);
    }
  });

  it("needs something after the scheme, and a word boundary before it", () => {
    expect(line("http:// https:// mailto:")).toEqual(["http:// https:// mailto:"]);
    expect(line("xhttps://a.example")).toEqual(["xhttps://a.example"]);
  });

  it("leaves trailing punctuation out, and closing parentheses unless balanced", () => {
    expect(line("See https://a.example/x.")).toEqual(["See ", link("https://a.example/x"), "."]);
    expect(line("(https://a.example/x), ok?")).toEqual(["(", link("https://a.example/x"), "), ok?"]);
    expect(line("https://en.wikipedia.org/wiki/Set_(mathematics).")).toEqual([
      link("https://en.wikipedia.org/wiki/Set_(mathematics)"),
      ".",
    ]);
    expect(line("(https://en.wikipedia.org/wiki/Set_(mathematics))")).toEqual([
      "(",
      link("https://en.wikipedia.org/wiki/Set_(mathematics)"),
      ")",
    ]);
  });

  it("ends at spaces, quotes and angle brackets; markers around a link format it", () => {
    expect(line('<https://a.example>"x')).toEqual(["<", link("https://a.example"), '>"x']);
    expect(line("**https://a.example/b_c**")).toEqual([{ t: "b", c: [link("https://a.example/b_c")] }]);
  });
});

describe("blocks", () => {
  it("a fenced block keeps its text literally and drops the info string", () => {
    expect(parseMarkdown("before\n```js\nconst a = `**b**`;\n<i>x</i>\n```\nafter")).toEqual([
      { t: "p", c: ["before"] },
      { t: "pre", text: "const a = `**b**`;\n<i>x</i>" },
      { t: "p", c: ["after"] },
    ]);
  });

  it("an unterminated fence runs to the end of the message", () => {
    expect(parseMarkdown("```\nno end **x**\n\n> y")).toEqual([{ t: "pre", text: "no end **x**\n\n> y" }]);
  });

  it("closes a fence with at least as many backticks", () => {
    expect(parseMarkdown("````\n```\n````")).toEqual([{ t: "pre", text: "```" }]);
  });

  it("quotes hold blocks, nest up to three deep, then show > as text", () => {
    expect(parseMarkdown("> **a**\n> - b\n>> c")).toEqual([
      { t: "quote", c: [{ t: "p", c: [{ t: "b", c: ["a"] }] }, { t: "list", start: null, items: [["b"]] }, { t: "quote", c: [{ t: "p", c: ["c"] }] }] },
    ]);
    expect(parseMarkdown(">>>> deep")).toEqual([{ t: "quote", c: [{ t: "quote", c: [{ t: "quote", c: [{ t: "p", c: ["> deep"] }] }] }] }]);
  });

  it("bullet and numbered lists; an indented line goes on with its item", () => {
    expect(parseMarkdown("- a\n* _b_\n  more\n+ c\n3. three\n4) four")).toEqual([
      { t: "list", start: null, items: [["a"], [{ t: "i", c: ["b"] }, "\nmore"], ["c"]] },
      { t: "list", start: 3, items: [["three"], ["four"]] },
    ]);
  });

  it("a marker with no space or no text after it is not a list", () => {
    expect(parseMarkdown("-a\n- \n*b*")).toEqual([{ t: "p", c: ["-a\n- \n", { t: "i", c: ["b"] }] }]);
  });

  it("paragraphs keep their line breaks and lose the blank lines around blocks", () => {
    expect(parseMarkdown("a\n\nb\n\n- x\n\nc")).toEqual([
      { t: "p", c: ["a\n\nb"] },
      { t: "list", start: null, items: [["x"]] },
      { t: "p", c: ["c"] },
    ]);
    expect(parseMarkdown("\n \n")).toEqual([]);
  });
});

describe("plainText, for previews", () => {
  it("drops the markers and keeps what the reader sees", () => {
    expect(plainText("> **Hi** _there_, `x` https://a.example\n- one\n- two\n```\ncode\n```")).toBe(
      "Hi there, x https://a.example one two code",
    );
    expect(plainText("<b>raw</b> **open")).toBe("<b>raw</b> **open");
  });
});

describe("pathological input finishes, and stays text", () => {
  const cases: [string, string][] = [
    ["4,000 asterisks", "*".repeat(4000)],
    ["2,000 bold markers", "** ".repeat(1333)],
    ["unclosed bold openers", "**a ".repeat(1000)],
    ["deep alternating emphasis", "*_".repeat(1000) + "x" + "_*".repeat(1000)],
    ["4,000 brackets", "[".repeat(4000)],
    ["2,000 backticks (an empty fenced block)", "`".repeat(2000)],
    ["2,000 backticks within a line", "a" + "`".repeat(2000)],
    ["backtick runs of every length", Array.from({ length: 400 }, (_, i) => "`".repeat((i % 20) + 1) + "x").join("")],
    ["URL-like run", "http://".repeat(571)],
    ["4,000 quote markers", ">".repeat(4000)],
    ["2,000 list items", "- a\n".repeat(1000)],
    ["fences", "```\n".repeat(1000)],
  ];
  for (const [name, input] of cases) {
    it(name, () => {
      const out = parseMarkdown(input);
      expect(out.length).toBeGreaterThan(0);
      expect(typeof plainText(input)).toBe("string");
    });
  }

  it("keeps emphasis shallow however many openers are left open", () => {
    const depth = (ns: Inline[]): number =>
      Math.max(0, ...ns.map((n) => (typeof n !== "string" && "c" in n ? 1 + depth(n.c) : 0)));
    const input = "*a _a ~~a **a ".repeat(100) + "x" + "** ~~ _ *".repeat(100);
    expect(depth(line(input))).toBeLessThanOrEqual(16);
  });

  it(`formats at most ${MAX_FORMATTED} elements per message, inline and blocks; the markers after are text`, () => {
    const count = (ns: Inline[]): number => ns.reduce((k, n) => k + (typeof n === "string" ? 0 : 1 + ("c" in n ? count(n.c) : 0)), 0);
    const blocks = (bs: Block[]): number =>
      bs.reduce(
        (k, b) =>
          k +
          (b.t === "p" ? count(b.c)
          : b.t === "pre" ? 1
          : b.t === "quote" ? 1 + blocks(b.c)
          : b.items.reduce((n, item) => n + 1 + count(item), 0)),
        0,
      );
    const total = (text: string) => blocks(parseMarkdown(text));
    // 1,000 closed emphases in one paragraph; and spread over a quote, a list and paragraphs.
    const flat = "*a* _b_ ".repeat(500);
    expect(total(flat)).toBe(MAX_FORMATTED);
    expect(total("*a* `c` https://x.example @[Ann](u-a)\n".repeat(30) + "> **q** ".repeat(50) + "\n\n- ~~l~~\n".repeat(60))).toBe(MAX_FORMATTED);
    // What is past the budget shows its markers as typed (a mention by its label).
    const ns = line("*a* ".repeat(MAX_FORMATTED) + "*z* `y` @[Bo](u-b)");
    expect(ns.at(-1)).toBe(" *z* `y` @Bo");
    // Blocks count too: 1,000 fences make 200 code blocks, then the fences are text.
    const fences = parseMarkdown("```\n".repeat(1000));
    expect(fences.filter((x) => x.t === "pre")).toHaveLength(MAX_FORMATTED);
    expect(fences.at(-1)).toMatchObject({ t: "p" });
    expect(total("- a\n".repeat(1000))).toBe(MAX_FORMATTED);
    // Under it nothing changes.
    expect(total("*a* ".repeat(MAX_FORMATTED))).toBe(MAX_FORMATTED);
  });
});
