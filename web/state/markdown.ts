/**
 * The Markdown subset of messages, parsed into a small tree that ui/messages/Markdown.tsx
 * turns into Preact nodes (never an HTML string, so markup in a message stays text):
 * **bold**, *italic* or _italic_, ~~strike~~, `code`, fenced code blocks, > quotes,
 * lists (-, *, + or 1.), and http(s)/mailto URLs as links. Links are only ever bare URLs:
 * no [text](url), so what a link says is where it goes.
 *
 * Hand-written rather than a library: the well-kept parsers make HTML strings (or a tree
 * through several packages) and cost more than the whole subset for constructs a chat does
 * not use; this one is about 2 KiB gzipped and linear by construction. Each line
 * is looked at once per quote level (at most MAX_QUOTES), each character once by the
 * inline scanner, and every lookup that could rescan (a code span's closing backticks, an
 * emphasis's opener) is a pointer or a stack that only moves forward. The regexes are
 * anchored at a line's start or are alternatives of fixed strings: none can backtrack
 * further than a run of spaces.
 */

export type Inline =
  | string
  | { t: "b" | "i" | "s"; c: Inline[] }
  | { t: "code"; text: string }
  | { t: "link"; href: string }
  /** A mention token `@[label](id)` (worker/protocol/mentions.ts): a chip when the message mentions `id`. */
  | { t: "mention"; id: string; label: string };

export type Block =
  | { t: "p"; c: Inline[] }
  | { t: "pre"; text: string }
  | { t: "quote"; c: Block[] }
  /** `start` is the first number of an ordered list, null for bullets. */
  | { t: "list"; start: number | null; items: Inline[][] };

/** Quotes in quotes beyond this show their `>` as text (every level rescans its lines). */
const MAX_QUOTES = 3;
/** Emphasis left open at once; more openers are text (keeps the tree, and rendering, shallow). */
const MAX_OPEN = 16;
/**
 * Formatted elements in one message: inline (emphasis, code, links, mentions) and blocks
 * (code blocks, quotes, list items); past it the markers are text. A message near the body
 * limit could otherwise make a thousand or more elements, and its first render would take
 * tens of milliseconds.
 */
export const MAX_FORMATTED = 200;

/** What a message may still format (shared by all its blocks). */
type Budget = { left: number };

export function parseMarkdown(text: string): Block[] {
  return blocks(text.split(/\r?\n/), 0, { left: MAX_FORMATTED });
}

/**
 * The text without its markers, for one-line previews: what the reader would see,
 * code and links included.
 */
export function plainText(text: string): string {
  return parseMarkdown(text).map(blockText).join(" ");
}

function blockText(b: Block): string {
  switch (b.t) {
    case "p":
      return b.c.map(inlineText).join("");
    case "pre":
      return b.text;
    case "quote":
      return b.c.map(blockText).join(" ");
    case "list":
      return b.items.map((item) => item.map(inlineText).join("")).join(" ");
  }
}

function inlineText(n: Inline): string {
  if (typeof n === "string") return n;
  if (n.t === "code") return n.text;
  if (n.t === "link") return n.href;
  if (n.t === "mention") return `@${n.label}`;
  return n.c.map(inlineText).join("");
}

// ── Blocks ──────────────────────────────────────────────────────────────────────────────

/** Leading backticks of an opening fence (3 or more, at most 3 spaces in), or 0. */
function fenceOpen(line: string): number {
  const at = line.length - line.trimStart().length;
  const n = runAt(line, at, "`");
  // A backtick after the fence makes it inline code on one line (```x```), not a block.
  return at <= 3 && n >= 3 && !line.includes("`", at + n) ? n : 0;
}

/** Whether `line` closes a fence of `n` backticks: as many or more, and nothing else. */
function fenceCloses(line: string, n: number): boolean {
  const t = line.trim();
  return line.length - line.trimStart().length <= 3 && t.length >= n && runAt(t, 0, "`") === t.length;
}

const QUOTE = /^ {0,3}> ?/;
const ITEM = /^ {0,3}(?:[-+*]|(\d{1,9})[.)]) +(?=\S)/;

function blocks(lines: string[], depth: number, budget: Budget): Block[] {
  const out: Block[] = [];
  let para: string[] = [];
  const endPara = () => {
    while (para.length > 0 && para[para.length - 1]!.trim() === "") para.pop();
    const start = para.findIndex((l) => l.trim() !== "");
    if (start >= 0) out.push({ t: "p", c: inline(para.slice(start).join("\n"), budget) });
    para = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = budget.left > 0 ? fenceOpen(line) : 0;
    if (fence > 0) {
      budget.left--;
      endPara();
      const code: string[] = [];
      i++;
      while (i < lines.length && !fenceCloses(lines[i]!, fence)) code.push(lines[i++]!);
      i++; // the closing fence; an unterminated block runs to the end of the message
      out.push({ t: "pre", text: code.join("\n") });
      continue;
    }
    if (depth < MAX_QUOTES && budget.left > 0 && QUOTE.test(line)) {
      budget.left--;
      endPara();
      const quoted: string[] = [];
      for (let m; i < lines.length && (m = QUOTE.exec(lines[i]!)); i++) quoted.push(lines[i]!.slice(m[0].length));
      out.push({ t: "quote", c: blocks(quoted, depth + 1, budget) });
      continue;
    }
    const first = budget.left > 0 ? ITEM.exec(line) : null;
    if (first) {
      endPara();
      const ordered = first[1] !== undefined;
      const items: string[] = [];
      for (let m; i < lines.length; i++) {
        const l = lines[i]!;
        if ((m = ITEM.exec(l)) && (m[1] !== undefined) === ordered) {
          if (budget.left === 0) break;
          budget.left--;
          items.push(l.slice(m[0].length));
        }
        // An indented line goes on with the item above it.
        else if (/^\s{2}/.test(l) && l.trim() !== "") items[items.length - 1] += "\n" + l.trim();
        else break;
      }
      out.push({ t: "list", start: ordered ? Number(first[1]) : null, items: items.map((item) => inline(item, budget)) });
      continue;
    }
    para.push(line);
    i++;
  }
  endPara();
  return out;
}

// ── Inline ──────────────────────────────────────────────────────────────────────────────

type Delim = "*" | "**" | "_" | "~~";
/** A delimiter, and once matched the index of its partner token. */
type DelimTok = { d: Delim; pair?: number };
type Tok = Exclude<Inline, { t: "b" | "i" | "s" }> | DelimTok;

const TAG = { "*": "i", "**": "b", _: "i", "~~": "s" } as const;
const ESCAPABLE = "\\`*_~>#+-.!()[]";
/** What the scanner stops at: an escape, a marker, a link's scheme or a mention; the rest is text. */
const SPECIAL = /[\\`*_~]|https?:\/\/|mailto:|@\[/gi;
/** A mention token at the scanner's position (bounded: no backtracking beyond 64 characters). */
const MENTION = /@\[([^[\]\r\n]{1,64})\]\(([\w-]{1,64})\)/y;
/** Punctuation that ends a sentence rather than a URL (a ")" only when unbalanced). */
const TRAILING = ".,:;!?'\"*_~";

const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
const isWord = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

function runAt(s: string, i: number, ch: string): number {
  let j = i;
  while (s[j] === ch) j++;
  return j - i;
}

/**
 * Where each run of backticks of each length starts, and a cursor per length: the closing
 * run of a code span is the next run of exactly its opener's length, found without
 * rescanning (openers are met left to right, so every cursor only moves forward).
 */
function backtickRuns(src: string) {
  const starts = new Map<number, number[]>();
  for (let i = src.indexOf("`"); i >= 0; i = src.indexOf("`", i)) {
    const n = runAt(src, i, "`");
    const list = starts.get(n);
    if (list) list.push(i);
    else starts.set(n, [i]);
    i += n;
  }
  const cursor = new Map<number, number>();
  return (n: number, from: number): number => {
    const list = starts.get(n) ?? [];
    let k = cursor.get(n) ?? 0;
    while (k < list.length && list[k]! < from) k++;
    cursor.set(n, k);
    return k < list.length ? list[k]! : -1;
  };
}

/**
 * The end of a link whose scheme (`scheme` characters) starts at `i`, or -1: it runs up to
 * a space or one of `<>"\``, less the punctuation that ends a sentence.
 */
function linkEnd(src: string, i: number, scheme: number): number {
  if (isWord(src[i - 1])) return -1;
  const min = i + scheme;
  let end = min;
  let unclosed = 0;
  for (let c; (c = src[end]) !== undefined && !isSpace(c) && !'<>"`'.includes(c); end++) {
    if (c === "(") unclosed++;
    else if (c === ")") unclosed--;
  }
  for (let c; end > min && (TRAILING.includes((c = src[end - 1]!)) || (c === ")" && unclosed < 0)); end--) {
    if (c === ")") unclosed++;
  }
  return end > min ? end : -1;
}

/**
 * One paragraph's (or list item's) inline content. One pass makes tokens and matches each
 * closing delimiter with the nearest opener of its kind on a stack; openers above it are
 * left unmatched (text), and each token is pushed and popped at most once. A second pass
 * nests the matched pairs. Each element made spends one of the message's `budget`; with none
 * left, what would have been one is text.
 */
function inline(src: string, budget: Budget): Inline[] {
  const toks: Tok[] = [];
  const closingTicks = backtickRuns(src);
  const stack: number[] = [];
  const open: Record<Delim, number> = { "*": 0, "**": 0, _: 0, "~~": 0 };
  let from = 0;
  const text = (to: number) => {
    if (to > from) toks.push(src.slice(from, to));
  };
  const delim = (d: Delim, canOpen: boolean, canClose: boolean) => {
    const j = toks.push({ d }) - 1;
    if (canClose && open[d] > 0 && budget.left > 0) {
      for (let k = stack.pop()!; ; k = stack.pop()!) {
        const opener = toks[k] as DelimTok;
        open[opener.d]--;
        if (opener.d === d) {
          budget.left--;
          opener.pair = j;
          (toks[j] as DelimTok).pair = k;
          return;
        }
      }
    }
    if (canOpen && stack.length < MAX_OPEN) {
      stack.push(j);
      open[d]++;
    }
  };

  let i = 0;
  for (let m; (SPECIAL.lastIndex = i), (m = SPECIAL.exec(src)); ) {
    i = m.index;
    const c = m[0];
    if (c === "\\" && ESCAPABLE.includes(src[i + 1] ?? "\n")) {
      text(i);
      from = i + 1;
      i += 2;
    } else if (c === "`") {
      const n = runAt(src, i, "`");
      const close = closingTicks(n, i + n);
      if (close >= 0 && budget.left > 0) {
        budget.left--;
        text(i);
        toks.push({ t: "code", text: codeText(src.slice(i + n, close)) });
        i = from = close + n;
      } else i += n; // no closing run: the backticks are text
    } else if (c === "*" || c === "_" || c === "~") {
      const n = runAt(src, i, c);
      const before = src[i - 1];
      const after = src[i + n];
      let canOpen = !isSpace(after);
      let canClose = !isSpace(before);
      // An underscore inside a word (snake_case) is a letter, not emphasis.
      if (c === "_") [canOpen, canClose] = [canOpen && !isWord(before), canClose && !isWord(after)];
      const runs: Delim[] | undefined =
        c === "~" ? (n === 2 ? ["~~"] : undefined)
        : c === "_" ? (n === 1 ? ["_"] : undefined)
        : n === 1 ? ["*"]
        : n === 2 ? ["**"]
        : n === 3 ? (canClose && (open["*"] > 0 || open["**"] > 0) ? ["*", "**"] : ["**", "*"])
        : undefined;
      if (runs) {
        text(i);
        for (const d of runs) delim(d, canOpen, canClose);
        from = i + n;
      }
      i += n;
    } else if (c === "@[") {
      MENTION.lastIndex = i;
      const m = MENTION.exec(src);
      if (m) {
        text(i);
        // Past the budget a mention reads as its label, as in a preview.
        toks.push(budget.left > 0 ? { t: "mention", id: m[2]!, label: m[1]! } : `@${m[1]!}`);
        if (budget.left > 0) budget.left--;
        i = from = i + m[0].length;
      } else i += 2;
    } else if (c.length > 1) {
      const end = linkEnd(src, i, c.length);
      if (end > 0 && budget.left > 0) {
        budget.left--;
        text(i);
        toks.push({ t: "link", href: src.slice(i, end) });
        i = from = end;
      } else i += c.length;
    } else i++; // a backslash before anything else
  }
  text(src.length);
  return nest(toks);
}

/** A code span's text: one space inside each end is padding (`` `x` `` shows `x`). */
function codeText(s: string): string {
  return s.length > 2 && s.startsWith(" ") && s.endsWith(" ") && s.trim() !== "" ? s.slice(1, -1) : s;
}

/** Nests the matched delimiters' tokens; an unmatched delimiter is text. */
function nest(toks: Tok[]): Inline[] {
  const root: Inline[] = [];
  const frames: { t: "b" | "i" | "s"; c: Inline[] }[] = [];
  const add = (n: Inline) => {
    const into = frames.length > 0 ? frames[frames.length - 1]!.c : root;
    const last = into[into.length - 1];
    if (typeof n === "string" && typeof last === "string") into[into.length - 1] = last + n;
    else into.push(n);
  };
  toks.forEach((tok, j) => {
    if (typeof tok === "string" || "t" in tok) return add(tok);
    if (tok.pair === undefined) return add(tok.d);
    if (tok.pair > j) return void frames.push({ t: TAG[tok.d], c: [] });
    add(frames.pop()!);
  });
  return root;
}
