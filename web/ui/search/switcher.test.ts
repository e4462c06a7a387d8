import { isValidElement, type VNode } from "preact";
import { describe, expect, it } from "vitest";
import { snippetNodes } from "./Switcher";

describe("a search result's snippet as nodes", () => {
  it("puts the matched words in <mark> and leaves the rest as text", () => {
    const nodes = snippetNodes([
      { text: "…see the ", hit: false },
      { text: "release", hit: true },
      { text: " notes…", hit: false },
    ]);
    expect(nodes[0]).toBe("…see the ");
    const mark = nodes[1] as VNode<{ children: string }>;
    expect(isValidElement(mark) && mark.type).toBe("mark");
    expect(mark.props.children).toBe("release");
    expect(nodes[2]).toBe(" notes…");
  });

  it("markup in a message stays text, in and out of a highlight", () => {
    const html = '<img src=x onerror="alert(1)">';
    const nodes = snippetNodes([
      { text: html, hit: false },
      { text: "<b>x</b>", hit: true },
    ]);
    expect(nodes[0]).toBe(html);
    expect((nodes[1] as VNode<{ children: string }>).props.children).toBe("<b>x</b>");
  });
});
