import { describe, expect, it } from "vitest";
import { dayLabel, humanSize, initials } from "./messages";
import { previewLine, shortWhen } from "./sidebar-lines";

describe("small formatters", () => {
  it("dayLabel: Today, Yesterday, else the date", () => {
    const now = new Date(2026, 10, 21, 15, 0).getTime();
    expect(dayLabel(new Date(2026, 10, 21, 0, 1).getTime(), now)).toBe("Today");
    expect(dayLabel(new Date(2026, 10, 20, 23, 59).getTime(), now)).toBe("Yesterday");
    expect(dayLabel(new Date(2026, 10, 1).getTime(), now)).toBe(new Date(2026, 10, 1).toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long" }));
  });
  it("initials", () => {
    expect(initials("alice")).toBe("A");
    expect(initials("Alice van der Berg")).toBe("AB");
    expect(initials("  ")).toBe("?");
    expect(initials("Émile Zola")).toBe("ÉZ");
  });
});

describe("sidebar formatting", () => {
  it("previews the last message: You, the text alone in a DM, Name in a group, on one line", () => {
    const last = { seq: 3, ts: 0, uid: "u2", name: "Bob", text: "hi\n  there" };
    expect(previewLine(last, "group", "u1")).toBe("Bob: hi there");
    expect(previewLine(last, "dm", "u1")).toBe("hi there");
    expect(previewLine(last, "group", "u2")).toBe("You: hi there");
    expect(previewLine(null, "group", "u1")).toBe("");
  });

  it("previews the text without its Markdown markers", () => {
    const last = { seq: 3, ts: 0, uid: "u2", name: "Bob", text: "> **Look** at `this`:\n- _one_\n- ~~two~~" };
    expect(previewLine(last, "dm", "u1")).toBe("Look at this: one two");
  });

  it("previews files and deleted messages instead of an empty line", () => {
    const base = { seq: 3, ts: 0, uid: "u2", name: "Bob" };
    expect(previewLine({ ...base, text: "", files: 1 }, "group", "u1")).toBe("Bob: 📎 File");
    expect(previewLine({ ...base, text: "look", files: 2 }, "dm", "u1")).toBe("📎 2 files · look");
    expect(previewLine({ ...base, text: "", deleted: true }, "group", "u2")).toBe("You: Message deleted");
  });

  it("shows a time today, Yesterday, a weekday this week, else a date", () => {
    const now = new Date(2026, 10, 21, 15, 0).getTime();
    expect(shortWhen(new Date(2026, 10, 21, 9, 5).getTime(), now)).toBe("09:05");
    expect(shortWhen(new Date(2026, 10, 20, 23, 59).getTime(), now)).toBe("Yesterday");
    expect(shortWhen(new Date(2026, 10, 17, 12).getTime(), now)).toBe(new Date(2026, 10, 17).toLocaleDateString(undefined, { weekday: "short" }));
    expect(shortWhen(new Date(2026, 9, 1).getTime(), now)).toBe(new Date(2026, 9, 1).toLocaleDateString(undefined, { day: "numeric", month: "short" }));
  });
});

describe("file sizes", () => {
  it("humanSize reads like a file manager", () => {
    expect(humanSize(585)).toBe("585 B");
    expect(humanSize(1536)).toBe("1.5 KB");
    expect(humanSize(100 * 1024 * 1024)).toBe("100 MB");
  });
});
