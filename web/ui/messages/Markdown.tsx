/**
 * A message's text with its Markdown (state/markdown.ts) as Preact nodes. Every string of
 * the message ends up as a text node, so raw HTML in it shows as written; the only
 * elements are the ones below, and the only attribute taken from the text is a link's
 * href, which the parser gives only to http:, https: and mailto: URLs.
 */
import { useSignal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { MENTION_ROOM } from "../../../worker/protocol";
import { parseMarkdown, type Block, type Inline } from "../../state/markdown";

/** What a message's mention tokens need to become chips (worker/protocol/mentions.ts). */
export interface Mentions {
  /** The ids the message mentions: only their tokens are chips (a hand-typed token is text). */
  ids: readonly string[];
  me: string;
  /** A member's current name (null: not known here; the token's label shows). Read in a component, so renames redraw. */
  nameOf: (id: string) => string | null;
}

export function Markdown({ text, mentions }: { text: string; mentions?: Mentions | undefined }) {
  return <>{useMemo(() => markdownNodes(text, mentions), [text, mentions])}</>;
}

/** The nodes for `text`, outside any component: what the unit tests look at. */
export function markdownNodes(text: string, mentions?: Mentions): ComponentChildren {
  const inline = (n: Inline): ComponentChildren => inlineNode(n, inline, mentions);
  const block = (b: Block): ComponentChildren => blockNode(b, block, inline);
  return parseMarkdown(text).map(block);
}

function blockNode(b: Block, block: (b: Block) => ComponentChildren, inline: (n: Inline) => ComponentChildren): ComponentChildren {
  switch (b.t) {
    case "p":
      return <p>{b.c.map(inline)}</p>;
    case "pre":
      return <CodeBlock code={b.text} />;
    case "quote":
      return <blockquote>{b.c.map(block)}</blockquote>;
    case "list": {
      const items = b.items.map((item) => <li>{item.map(inline)}</li>);
      return b.start === null ? <ul>{items}</ul> : <ol start={b.start}>{items}</ol>;
    }
  }
}

function inlineNode(n: Inline, inline: (n: Inline) => ComponentChildren, mentions: Mentions | undefined): ComponentChildren {
  if (typeof n === "string") return n;
  switch (n.t) {
    case "mention":
      return mentions?.ids.includes(n.id) ? <MentionChip id={n.id} label={n.label} mentions={mentions} /> : `@${n.label}`;
    case "b":
      return <strong>{n.c.map(inline)}</strong>;
    case "i":
      return <em>{n.c.map(inline)}</em>;
    case "s":
      return <del>{n.c.map(inline)}</del>;
    case "code":
      return <code>{n.text}</code>;
    case "link":
      // A new tab that cannot reach back to us (opener), learns nothing of where it came
      // from (referrer), and gives the link no ranking weight (nofollow: it is user content).
      return (
        <a href={n.href} target="_blank" rel="noopener noreferrer nofollow">
          {n.href}
        </a>
      );
  }
}

/** A mention as a chip with the member's current name; mine (or `@room`) stands out. */
function MentionChip({ id, label, mentions }: { id: string; label: string; mentions: Mentions }) {
  const room = id === MENTION_ROOM;
  const name = room ? MENTION_ROOM : (mentions.nameOf(id) ?? label);
  return (
    <span class={room || id === mentions.me ? "mention me" : "mention"} data-mention={id}>
      @{name}
    </span>
  );
}

/**
 * A fenced block: monospace, scrolls sideways, and a button that copies its text. Without a
 * clipboard (plain http, or refused) the button says so, and the text is there to select.
 */
function CodeBlock({ code }: { code: string }) {
  const label = useSignal("Copy");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  async function copy() {
    let ok = true;
    try {
      await navigator.clipboard.writeText(code); // no navigator.clipboard off https throws too
    } catch {
      ok = false;
    }
    clearTimeout(timer.current);
    label.value = ok ? "Copied" : "Select to copy";
    timer.current = setTimeout(() => (label.value = "Copy"), 2000);
  }
  return (
    <div class="code-block">
      <pre>
        <code>{code}</code>
      </pre>
      <button type="button" class="code-copy" onClick={copy} aria-live="polite">
        {label}
      </button>
    </div>
  );
}
