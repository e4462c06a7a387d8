/** The composer's mention logic: the query at the caret, the picker's filter and keys, insertion, and what is sent. */
import { describe, expect, it } from "vitest";
import { mentionIdsOf, type Member } from "../../worker/protocol";
import { candidates, canMentionRoom, insertMention, pickerKey } from "./mention-picker";
import { decodeMentions, encodeMentions, mentionQuery } from "./mentions";
import { plainText } from "./markdown";

const member = (id: string, name: string, username: string | null = null, me = false): Member & { me: boolean } => ({ id, name, username, role: "member", me });
const members = [member("u-me", "Me Myself", "me", true), member("u-bob", "Bob Stone", "bobby"), member("u-bea", "Beatrice"), member("u-abe", "Abe Lincoln")];

describe("the query at the caret", () => {
  it("is what follows an @ at a word's start, up to the caret", () => {
    expect(mentionQuery("hi @bo", 6)).toEqual({ start: 3, query: "bo" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQuery("(@Bob Stone", 11)).toEqual({ start: 1, query: "Bob Stone" });
    expect(mentionQuery("hi @bo and more", 6)).toEqual({ start: 3, query: "bo" });
  });

  it("is none in an e-mail address, after a line break, a leading space, or too far back", () => {
    expect(mentionQuery("mail me@host", 12)).toBeNull();
    expect(mentionQuery("@bob\nx", 6)).toBeNull();
    expect(mentionQuery("@ bob", 5)).toBeNull();
    expect(mentionQuery("@" + "x".repeat(41), 42)).toBeNull();
    expect(mentionQuery("no at", 5)).toBeNull();
  });
});

describe("the picker", () => {
  it("filters members as one types: name or username prefix first, then a word of the name, then inside; never me", () => {
    expect(candidates(members, "", false).map((c) => c.id)).toEqual(["u-abe", "u-bea", "u-bob"]);
    expect(candidates(members, "b", false).map((c) => c.id)).toEqual(["u-bea", "u-bob", "u-abe"]);
    expect(candidates(members, "bobby", false).map((c) => c.id)).toEqual(["u-bob"]);
    expect(candidates(members, "STONE", false).map((c) => c.id)).toEqual(["u-bob"]);
    expect(candidates(members, "me", false)).toEqual([]);
    expect(candidates(members, "zzz", true)).toEqual([]);
    expect(candidates(members, "b", false)[1]).toEqual({ id: "u-bob", name: "Bob Stone", hint: "@bobby" });
  });

  it("offers @room first when it matches and I may use it (the owner, or a room of at most 20)", () => {
    expect(candidates(members, "ro", true)[0]).toMatchObject({ id: "room", name: "room" });
    expect(candidates(members, "ro", false)).toEqual([]);
    expect(canMentionRoom("member", 20)).toBe(true);
    expect(canMentionRoom("member", 21)).toBe(false);
    expect(canMentionRoom("owner", 500)).toBe(true);
  });

  it("moves with the arrows (wrapping), chooses with Enter or Tab, closes with Esc, and lets other keys through", () => {
    expect(pickerKey("ArrowDown", 0, 3)).toEqual({ index: 1 });
    expect(pickerKey("ArrowDown", 2, 3)).toEqual({ index: 0 });
    expect(pickerKey("ArrowUp", 0, 3)).toEqual({ index: 2 });
    expect(pickerKey("Enter", 1, 3)).toBe("choose");
    expect(pickerKey("Tab", 1, 3)).toBe("choose");
    expect(pickerKey("Escape", 1, 3)).toBe("close");
    expect(pickerKey("a", 1, 3)).toBeNull();
    // Nothing to choose: Enter sends as usual.
    expect(pickerKey("Enter", 0, 0)).toBeNull();
  });

  it("replaces the query with @Name and a space, and puts the caret after it", () => {
    const text = "hi @bo, see you";
    const q = mentionQuery(text, 6)!;
    expect(insertMention(text, q, 6, { id: "u-bob", name: "Bob Stone" })).toEqual({ text: "hi @Bob Stone , see you", caret: 14 });
    expect(insertMention("@b", mentionQuery("@b", 2)!, 2, { id: "u-bob", name: "Bob Stone" })).toEqual({ text: "@Bob Stone ", caret: 11 });
  });
});

describe("an edited message's text in the composer", () => {
  it("shows its mentions as @Name with the current names and encodes them back to the same ids", () => {
    const twins = [...members, member("u-bob2", "Bob Stone")];
    const sent = "@[Bobby](u-bob) and @[room](room), @[Gone](u-gone) and a hand-typed @[Abe](u-abe)";
    const picked = new Map<string, string>();
    const nameOf = (id: string) => twins.find((m) => m.id === id)?.name ?? null;
    const shown = decodeMentions(sent, ["u-bob", "room", "u-gone"], nameOf, picked);
    // A renamed member by their name now, one who left by the label, a token not mentioned stays.
    expect(shown).toBe("@Bob Stone and @room, @Gone and a hand-typed @[Abe](u-abe)");
    // The name "Bob Stone" is shared, but the picked map keeps the id it had.
    const back = encodeMentions(shown, picked, twins);
    expect(back.mentions).toEqual(["u-bob", "room", "u-gone"]);
    expect(mentionIdsOf(back.text)).toEqual(["u-bob", "room", "u-gone", "u-abe"]);
    expect(decodeMentions("no tokens @[X](u-x)", undefined, nameOf, picked)).toBe("no tokens @[X](u-x)");
  });
});

describe("what is sent", () => {
  it("turns picked names, unique member names and @room into tokens, and lists their ids once", () => {
    const out = encodeMentions("@Bob Stone and @Beatrice, @room! @Bob Stone again", new Map([["Bob Stone", "u-bob"]]), members);
    expect(out.text).toBe("@[Bob Stone](u-bob) and @[Beatrice](u-bea), @[room](room)! @[Bob Stone](u-bob) again");
    expect(out.mentions).toEqual(["u-bob", "u-bea", "room"]);
    // The ids the outbox sends are the text's tokens.
    expect(mentionIdsOf(out.text)).toEqual(out.mentions);
    // Previews show the names.
    expect(plainText(out.text)).toBe("@Bob Stone and @Beatrice, @room! @Bob Stone again");
  });

  it("leaves alone what is not a mention: unknown names, shared names not picked, e-mail, code, longer words", () => {
    const twins = [...members, member("u-bob2", "Bob Stone")];
    const text = "@Nobody a@Beatrice `@Beatrice` @Beatricex @Bob Stone\n```\n@room\n```";
    expect(encodeMentions(text, new Map(), twins)).toEqual({ text, mentions: [] });
    // Picking one of the twins decides.
    expect(encodeMentions("@Bob Stone", new Map([["Bob Stone", "u-bob2"]]), twins).mentions).toEqual(["u-bob2"]);
  });
});
