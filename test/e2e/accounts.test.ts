/**
 * Accounts, invite links, DMs and the sidebar, as people use them: Alice signs up and
 * makes a room, Bob signs up from her invite link, they chat and DM, the sidebar keeps up
 * without reloads; Alice resets the link (the old one fails clearly for Carol), Carol
 * joins as a guest with the new one and saves her account, Alice removes her and finally
 * deletes the room. Log out ends every tab of that session. Each step is its own test that
 * sets up the people and rooms it needs, so any one of them runs alone.
 */
import { describe, expect, it } from "vitest";
import {
  WAIT,
  authTab,
  composer,
  connection,
  conversation,
  conversations,
  copyInvite,
  fillSignup,
  joiner,
  log,
  member,
  newRoom,
  person,
  say,
  send,
  shoot,
  skipBrowser,
  startDm,
  twoInARoom,
  uniqueUsername,
  useSession,
} from "./browser";

/*
 * People sign up only where the test is about accounts (signing up, usernames, logging in):
 * signups are limited to 20 a minute per address, and every test here makes its own people.
 */
describe.skipIf(skipBrowser)("accounts, invites, DMs and the sidebar", () => {
  const s = useSession();

  it("Alice signs up, creates a room with a topic and copies its invite link", async () => {
    const alice = await s.guest();
    const p = alice.page;
    await p.goto(s.base + "/", { timeout: WAIT });
    await p.getByRole("tab", { name: "Log in", selected: true }).waitFor({ timeout: WAIT });
    await shoot(p, "signed-out");

    // The shared password policy answers before the server is asked.
    await fillSignup(p, uniqueUsername("alice"), "alice", "Alice");
    await p.getByRole("alert").filter({ hasText: "Password must be at least 8 characters." }).waitFor({ timeout: WAIT });
    await p.getByLabel("Password").fill("alice-password-1");
    await p.getByRole("button", { name: "Create account" }).click();

    await conversations(p).getByText("No conversations yet.").waitFor({ timeout: WAIT });
    await shoot(p, "empty-home");
    await newRoom(alice, "Design", "Pixels and prose");
    await p.getByRole("heading", { name: "Design", level: 1 }).waitFor({ timeout: WAIT });
    await p.locator(".room-header").getByText("Pixels and prose").waitFor({ timeout: WAIT });
    await conversation(p, "Design").waitFor({ timeout: WAIT });
    expect(await conversation(p, "Design").getAttribute("aria-current")).toBe("page");

    const invite = await copyInvite(alice, s.base);
    expect(invite).toMatch(new RegExp(`^${s.base}/join/[A-Za-z0-9_-]{22}$`));
  });

  it("Bob opens the link in a fresh browser, sees what it leads to, signs up and lands in the room", async () => {
    const alice = await person(s, "Alice", { account: true });
    const roomUrl = await newRoom(alice, "Design", "Pixels and prose");
    const invite = await copyInvite(alice, s.base);

    const bob = await s.guest();
    const p = bob.page;
    await p.goto(invite, { timeout: WAIT });
    await p.getByRole("heading", { name: "Design" }).waitFor({ timeout: WAIT });
    await p.getByText("1 member").waitFor({ timeout: WAIT });
    await shoot(p, "join");

    const username = uniqueUsername("bob");
    await fillSignup(p, username, "bob-password-1", "Bob");
    await p.waitForURL(roomUrl, { timeout: WAIT });
    await connection(p, "Connected").waitFor({ timeout: WAIT });
    await conversation(p, "Design").waitFor({ timeout: WAIT });

    // Both see both, with usernames; Alice is the owner.
    await member(alice.page, "Bob").filter({ hasText: `@${username}` }).filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
    await member(p, "Alice").filter({ hasText: "owner" }).filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
  });

  it("they chat, and each sidebar previews the last message", async () => {
    const { alice, bob } = await twoInARoom(s, { room: "Design" });
    await send(bob.page, "Hi Alice, Bob here");
    await log(alice.page).getByText("Hi Alice, Bob here", { exact: true }).waitFor({ timeout: WAIT });
    await send(alice.page, "Welcome, Bob!");
    await log(bob.page).getByText("Welcome, Bob!", { exact: true }).waitFor({ timeout: WAIT });
    // Previews arrive through the user channel a moment after the room stores the message.
    await conversation(bob.page, "Design").filter({ hasText: "Alice: Welcome, Bob!" }).waitFor({ timeout: WAIT });
    await conversation(alice.page, "Design").filter({ hasText: "You: Welcome, Bob!" }).waitFor({ timeout: WAIT });
    // Neither has unread messages in the room they are looking at.
    expect(await conversations(bob.page).locator(".badge").count()).toBe(0);
  });

  it("Alice starts a DM with Bob by username; it appears in Bob's sidebar with an unread count, no reload", async () => {
    const { alice, bob, roomUrl } = await twoInARoom(s, { accounts: true, room: "Design" });
    const p = alice.page;
    await p.getByRole("button", { name: "New message" }).click();
    const dialog = p.getByRole("dialog", { name: "New message" });
    await dialog.getByRole("textbox", { name: "Username" }).fill("nobody_here");
    await dialog.getByRole("button", { name: "Start conversation" }).click();
    await dialog.getByRole("alert").filter({ hasText: "No one has the username “nobody_here”." }).waitFor({ timeout: WAIT });
    // Typed with an @ and in another case, as people do.
    await dialog.getByRole("textbox", { name: "Username" }).fill(`@${bob.username!.replace(/^./, (c) => c.toUpperCase())}`);
    await dialog.getByRole("button", { name: "Start conversation" }).click();
    await p.waitForURL((u) => u.href !== roomUrl && /\/r\/[A-Za-z0-9_-]{22}$/.test(u.pathname), { timeout: WAIT });
    const dmUrl = p.url();
    await p.getByRole("heading", { name: "Bob", level: 1 }).waitFor({ timeout: WAIT });
    await connection(p, "Connected").waitFor({ timeout: WAIT });
    // A DM has no invite link and no room menu.
    expect(await p.getByRole("button", { name: "Copy invite link" }).count()).toBe(0);
    await send(p, "Psst, a private hello");

    // Bob is still looking at Design: the DM shows up, unread, on top.
    const dm = conversation(bob.page, "Alice");
    await dm.filter({ hasText: "1 unread" }).waitFor({ timeout: WAIT });
    await dm.filter({ hasText: "Psst, a private hello" }).waitFor({ timeout: WAIT });
    expect((await conversations(bob.page).locator(".conv-name").allTextContents())[0]).toBe("Alice");
    await bob.page.waitForFunction(() => document.title.startsWith("(1) "), undefined, { timeout: WAIT });
    await shoot(bob.page, "sidebar-unread", [[1280, 800]]);
    await bob.page.setViewportSize({ width: 360, height: 740 });
    await bob.page.getByRole("link", { name: "Back to conversations" }).click();
    await shoot(bob.page, "sidebar-unread", [[360, 740]]);

    // Opening it reads it: the badge goes, and stays gone after a reload (the server knows).
    await dm.click();
    await bob.page.waitForURL(dmUrl, { timeout: WAIT });
    await log(bob.page).getByText("Psst, a private hello", { exact: true }).waitFor({ timeout: WAIT });
    await dm.locator(".badge").waitFor({ state: "detached", timeout: WAIT });
    await bob.page.setViewportSize({ width: 1280, height: 800 });
    await send(bob.page, "Hello back");
    await log(p).getByText("Hello back", { exact: true }).waitFor({ timeout: WAIT });
    await bob.page.waitForTimeout(1500); // the read position is posted debounced
    await bob.page.reload({ timeout: WAIT });
    await connection(bob.page, "Connected").waitFor({ timeout: WAIT });
    expect(await conversations(bob.page).locator(".badge").count()).toBe(0);

    // Starting it again from Bob's side finds the same DM.
    await bob.page.getByRole("button", { name: "New message" }).click();
    await bob.page.getByRole("dialog", { name: "New message" }).getByRole("textbox", { name: "Username" }).fill(alice.username!);
    await bob.page.getByRole("button", { name: "Start conversation" }).click();
    await bob.page.waitForURL(dmUrl, { timeout: WAIT });
  });

  it("Alice resets the invite link: Carol's old link fails clearly, the new one works", async () => {
    const alice = await person(s, "Alice");
    const roomUrl = await newRoom(alice, "Design", "Pixels and prose");
    const oldInvite = await copyInvite(alice, s.base);

    const p = alice.page;
    await p.goto(roomUrl, { timeout: WAIT });
    await connection(p, "Connected").waitFor({ timeout: WAIT });
    await p.getByRole("button", { name: "Room options" }).click();
    await p.getByRole("menuitem", { name: "Reset invite link" }).click();
    const confirm = p.getByRole("dialog", { name: "Reset the invite link?" });
    await shoot(p, "confirm-reset");
    await confirm.getByRole("button", { name: "Reset link" }).click();
    await confirm.waitFor({ state: "detached", timeout: WAIT });
    const invite = await copyInvite(alice, s.base);
    expect(invite).not.toBe(oldInvite);

    const carol = await s.guest();
    await carol.page.goto(oldInvite, { timeout: WAIT });
    await carol.page.getByText("This invite link is invalid or has been reset.").waitFor({ timeout: WAIT });
    await shoot(carol.page, "invalid-invite");
    await carol.page.getByRole("link", { name: "Go home" }).click();
    await carol.page.getByRole("tab", { name: "Log in" }).waitFor({ timeout: WAIT });
  });

  it("Carol joins with the new link as a guest, then saves her account and keeps the room", async () => {
    // Bob has an account: his username is taken when Carol first tries it.
    const alice = await person(s, "Alice");
    const roomUrl = await newRoom(alice, "Design", "Pixels and prose");
    const bob = await joiner(s, await copyInvite(alice, s.base), "Bob", { account: true });
    await member(alice.page, "Bob").filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
    const invite = await copyInvite(alice, s.base);

    const carol = await s.guest();
    const p = carol.page;
    await p.goto(invite, { timeout: WAIT });
    await p.getByText("2 members").waitFor({ timeout: WAIT });
    await authTab(p, "Guest");
    await p.getByRole("textbox", { name: "Display name" }).fill("Carol");
    await p.getByRole("button", { name: "Continue as guest" }).click();
    await p.waitForURL(roomUrl, { timeout: WAIT });
    await connection(p, "Connected").waitFor({ timeout: WAIT });
    await member(alice.page, "Carol").filter({ hasText: ", online" }).waitFor({ timeout: WAIT });

    await p.getByRole("button", { name: "Save your account" }).click();
    const dialog = p.getByRole("dialog", { name: "Save your account" });
    await dialog.getByRole("textbox", { name: "Username" }).fill(bob.username!);
    await dialog.getByLabel("Password").fill("carol-password-1");
    await shoot(p, "save-account", [[360, 740]]);
    await dialog.getByRole("button", { name: "Save account" }).click();
    await dialog.getByRole("alert").filter({ hasText: "That username is taken." }).waitFor({ timeout: WAIT });
    const username = uniqueUsername("carol");
    await dialog.getByRole("textbox", { name: "Username" }).fill(username);
    await dialog.getByRole("button", { name: "Save account" }).click();
    await dialog.waitFor({ state: "detached", timeout: WAIT });
    expect(await p.getByRole("button", { name: "Save your account" }).count()).toBe(0);
    await p.getByRole("button", { name: "Account menu" }).click();
    await p.getByRole("menu").getByText(`@${username}`).waitFor({ timeout: WAIT });
    await p.keyboard.press("Escape");
    // Same person: still in the room, still online, and the socket carries on.
    await conversation(p, "Design").waitFor({ timeout: WAIT });
    await send(p, "Carol, now with an account");
    await log(alice.page).getByText("Carol, now with an account", { exact: true }).waitFor({ timeout: WAIT });
  });

  it("Alice removes Carol: Carol is told, and the room leaves her sidebar", async () => {
    const { alice, bob: carol } = await twoInARoom(s, { names: ["Alice", "Carol"], room: "Design" });
    const p = alice.page;
    await member(p, "Carol").getByRole("button", { name: "Remove Carol" }).click();
    await p.getByRole("dialog", { name: "Remove Carol?" }).getByRole("button", { name: "Remove", exact: true }).click();
    await member(p, "Carol").waitFor({ state: "detached", timeout: WAIT });
    await carol.page.getByRole("heading", { name: "You were removed from this room" }).waitFor({ timeout: WAIT });
    await conversation(carol.page, "Design").waitFor({ state: "detached", timeout: WAIT });
    // Her room link no longer opens it.
    await carol.page.reload({ timeout: WAIT });
    await carol.page.getByText("You are not a member of this room; ask for an invite link.").waitFor({ timeout: WAIT });
  });

  it("Alice removes and bans Carol: the invite link then tells Carol she is banned, until Alice lifts the ban", async () => {
    const { alice, bob: carol, invite } = await twoInARoom(s, { names: ["Alice", "Carol"], room: "Design" });
    const p = alice.page;
    await member(p, "Carol").getByRole("button", { name: "Remove Carol" }).click();
    await p.getByRole("dialog", { name: "Remove Carol?" }).getByRole("button", { name: "Remove and ban" }).click();
    await member(p, "Carol").waitFor({ state: "detached", timeout: WAIT });
    const banned = p.getByRole("list", { name: "Banned" }).getByRole("listitem").filter({ hasText: "Carol" });
    await banned.waitFor({ timeout: WAIT });
    await carol.page.getByRole("heading", { name: "You were removed from this room" }).waitFor({ timeout: WAIT });

    await carol.page.goto(invite, { timeout: WAIT });
    await carol.page.getByRole("button", { name: "Join Design" }).click();
    await carol.page.getByRole("alert").filter({ hasText: "You can't join this room: its owner has banned you." }).waitFor({ timeout: WAIT });

    await banned.getByRole("button", { name: "Unban Carol" }).click();
    await banned.waitFor({ state: "detached", timeout: WAIT });
    await carol.page.getByRole("button", { name: "Join Design" }).click();
    await connection(carol.page, "Connected").waitFor({ timeout: WAIT });
    await member(p, "Carol").waitFor({ timeout: WAIT });
  });

  it("Bob logs out in one tab: his other tab is signed out too; wrong then right password logs him in", async () => {
    // Bob has an account, is in Design, and has a DM with Alice.
    const alice = await person(s, "Alice");
    const roomUrl = await newRoom(alice, "Design", "Pixels and prose");
    const bob = await joiner(s, await copyInvite(alice, s.base), "Bob", { account: true });
    await startDm(alice, bob.username!);
    await say(alice, "Psst, a private hello");
    await conversation(bob.page, "Alice").waitFor({ timeout: WAIT });

    const other = await bob.context.newPage();
    await other.goto(roomUrl, { timeout: WAIT });
    await connection(other, "Connected").waitFor({ timeout: WAIT });

    const p = bob.page;
    await p.getByRole("button", { name: "Account menu" }).click();
    await p.getByRole("menuitem", { name: "Log out" }).click();
    await p.getByRole("tab", { name: "Log in" }).waitFor({ timeout: WAIT });
    // The server closed the other tab's sockets of that session (4001).
    await other.getByRole("tab", { name: "Log in" }).waitFor({ timeout: WAIT });
    await other.close();

    await p.getByRole("textbox", { name: "Username" }).fill(bob.username!);
    await p.getByLabel("Password").fill("not-his-password");
    await p.getByRole("button", { name: "Log in", exact: true }).click();
    await p.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor({ timeout: WAIT });
    await p.getByLabel("Password").fill(bob.password!);
    await p.getByRole("button", { name: "Log in", exact: true }).click();
    await conversation(p, "Design").waitFor({ timeout: WAIT });
    await conversation(p, "Alice").waitFor({ timeout: WAIT });
  });

  it("Alice renames the room (Bob's header and sidebar follow), then deletes it (Bob is told)", async () => {
    const { alice, bob, roomUrl } = await twoInARoom(s, { room: "Design" });
    const p = alice.page;
    await bob.page.goto(roomUrl, { timeout: WAIT });
    await connection(bob.page, "Connected").waitFor({ timeout: WAIT });

    await p.getByRole("button", { name: "Room options" }).click();
    await p.getByRole("menuitem", { name: "Edit name and topic" }).click();
    const edit = p.getByRole("dialog", { name: "Edit room" });
    await edit.getByRole("textbox", { name: "Room name" }).fill("Design crit");
    await edit.getByRole("button", { name: "Save" }).click();
    await p.getByRole("heading", { name: "Design crit", level: 1 }).waitFor({ timeout: WAIT });
    await bob.page.getByRole("heading", { name: "Design crit", level: 1 }).waitFor({ timeout: WAIT });
    await conversation(bob.page, "Design crit").waitFor({ timeout: WAIT });

    await p.getByRole("button", { name: "Room options" }).click();
    await p.getByRole("menuitem", { name: "Delete room" }).click();
    await p.getByRole("dialog", { name: "Delete Design crit?" }).getByRole("button", { name: "Delete room" }).click();
    await p.waitForURL(s.base + "/", { timeout: WAIT });
    await conversation(p, "Design crit").waitFor({ state: "detached", timeout: WAIT });
    await bob.page.getByRole("heading", { name: "This room was deleted" }).waitFor({ timeout: WAIT });
    await conversation(bob.page, "Design crit").waitFor({ state: "detached", timeout: WAIT });
    expect(await composer(bob.page).count()).toBe(0);
  });

  it("had no script errors, CSP violations or dialogs", () => {
    for (const g of s.guests) expect(g.problems).toEqual([]);
  });
});
