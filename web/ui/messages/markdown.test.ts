import { isValidElement, type ComponentChildren, type VNode } from "preact";
import { describe, expect, it } from "vitest";
import { markdownNodes } from "./Markdown";

/** Element type names and strings, as a nested array: what the row would hold. */
function shape(n: ComponentChildren): unknown {
  if (Array.isArray(n)) return n.map(shape);
  if (!isValidElement(n)) return n;
  const v = n as VNode<{ children?: ComponentChildren }>;
  const name = typeof v.type === "string" ? v.type : (v.type as { name: string }).name;
  return [name, shape(v.props.children ?? null)];
}

describe("Markdown as Preact nodes", () => {
  it("renders each construct as its element", () => {
    expect(shape(markdownNodes("**b** _i_ ~~s~~ `c`\n> q\n- l\n2. n\n```\nx\n```"))).toEqual([
      ["p", [["strong", ["b"]], " ", ["em", ["i"]], " ", ["del", ["s"]], " ", ["code", "c"]]],
      ["blockquote", [["p", ["q"]]]],
      ["ul", [["li", ["l"]]]],
      ["ol", [["li", ["n"]]]],
      ["CodeBlock", null],
    ]);
  });

  it("a link opens in a new tab with noopener noreferrer nofollow", () => {
    const [p] = markdownNodes("https://a.example") as VNode<{ children: VNode[] }>[];
    expect(p!.props.children[0]!.props).toEqual({
      href: "https://a.example",
      target: "_blank",
      rel: "noopener noreferrer nofollow",
      children: "https://a.example",
    });
  });

  it("raw HTML is a string child, never markup", () => {
    const html = '<img src=x onerror="alert(1)">';
    expect(shape(markdownNodes(html))).toEqual([["p", [html]]]);
  });

  it("a numbered list keeps its first number", () => {
    const [ol] = markdownNodes("7. seven") as VNode<{ start?: number }>[];
    expect(ol!.props.start).toBe(7);
  });
});

describe("mentions as chips", () => {
  const ctx = { ids: ["u-bob", "room"], me: "u-bob", nameOf: (id: string) => (id === "u-bob" ? "Bobby (renamed)" : null) };
  /** Draws a component node one level (the chip is a function component). */
  const draw = (n: VNode) => (n.type as (p: unknown) => VNode)(n.props);

  it("draws a token the message mentions as a chip with the member's current name; mine and @room stand out", () => {
    const [p] = markdownNodes("hi @[Bob](u-bob) and @[room](room)", ctx) as VNode<{ children: (VNode | string)[] }>[];
    const [, bob, , room] = p!.props.children as [string, VNode, string, VNode];
    expect(shape(p!)).toEqual(["p", ["hi ", ["MentionChip", null], " and ", ["MentionChip", null]]]);
    expect(draw(bob).props).toMatchObject({ class: "mention me", "data-mention": "u-bob", children: ["@", "Bobby (renamed)"] });
    expect(draw(room).props).toMatchObject({ class: "mention me", children: ["@", "room"] });
  });

  it("falls back to the token's label for someone unknown here, and is plain text when the message does not mention the id", () => {
    const [p] = markdownNodes("@[Carol](u-carol) @[Dan](u-dan)", { ...ctx, ids: ["u-carol"] }) as VNode<{ children: (VNode | string)[] }>[];
    const [carol, ...rest] = p!.props.children as [VNode, ...string[]];
    expect(draw(carol).props).toMatchObject({ class: "mention", children: ["@", "Carol"] });
    expect(rest.join("")).toBe(" @Dan");
    // Without mentions (a preview, say) every token is text; in code it stays code.
    expect(shape(markdownNodes("@[Bob](u-bob) `@[Bob](u-bob)`"))).toEqual([["p", ["@Bob", " ", ["code", "@[Bob](u-bob)"]]]]);
  });
});
