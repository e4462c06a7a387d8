/**
 * The room's details and members: everyone the room's HTTP answer lists (not only who is
 * online), merged with presence for the member list. Someone coming online whom we don't
 * know yet is a new member (joined by invite since we loaded): listed at once, and the
 * room's details are refetched for their role and username. A `members` frame or a change
 * to the user's room list refetches too. The owner's actions (rename, reset the invite
 * link, remove or ban a member, lift a ban) go over HTTP from here; the server checks the role.
 */
import { batch, computed, signal, type ReadonlySignal, type Signal } from "@preact/signals";
import type { Ban, Member, Peer, RoomDetail, RoomResponse, UpdateRoomBody } from "../../../worker/protocol";
import { api, type ApiFailure, type ApiResult } from "../../api";
import { problemOf, type RoomProblem } from "./problems";

/** A member as the member list shows them. */
export interface MemberRow extends Member {
  online: boolean;
  me: boolean;
}

export interface MembersDeps {
  me: ReadonlySignal<Peer>;
  online: ReadonlySignal<readonly Peer[]>;
  /** An HTTP answer that ends the room (deleted, removed, signed out). */
  end: (p: RoomProblem) => void;
}

export class Members {
  readonly #roomId: string;
  readonly #deps: MembersDeps;
  readonly #room: Signal<RoomDetail>;
  /** Everyone we know belongs here: the room's members plus whoever showed up online since. */
  readonly #known: Signal<readonly Member[]>;
  /** Who the owner banned (the server lists them only for the owner). */
  readonly #bans: Signal<readonly Ban[]>;
  /** A refetch in flight: calls meanwhile share it. */
  #refreshing: Promise<void> | null = null;

  /** Name, topic, kind, our role and the invite code. */
  readonly room: ReadonlySignal<RoomDetail>;
  /** Online first, then by name. */
  readonly rows: ReadonlySignal<MemberRow[]>;
  /** Banned people, newest first (empty unless we own the room). */
  readonly bans: ReadonlySignal<readonly Ban[]>;

  constructor(initial: RoomResponse, deps: MembersDeps) {
    this.#roomId = initial.room.id;
    this.#deps = deps;
    this.#room = signal(initial.room);
    this.#known = signal(initial.members);
    this.#bans = signal(initial.bans ?? []);
    this.room = this.#room;
    this.bans = this.#bans;
    this.rows = computed(() => {
      const online = deps.online.value;
      const on = new Set(online.map((p) => p.id));
      const names = new Map(online.map((p) => [p.id, p.name]));
      const me = deps.me.value.id;
      return this.#known.value
        .map((p) => ({ ...p, name: names.get(p.id) ?? p.name, online: on.has(p.id), me: p.id === me }))
        .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
    });
  }

  /** People seen online (welcome, presence): anyone we don't know is listed now and the details are fetched. */
  seen(peers: readonly Peer[]): void {
    const ids = new Set(this.#known.peek().map((p) => p.id));
    const fresh = peers.filter((p) => !ids.has(p.id));
    if (fresh.length === 0) return;
    this.#known.value = [...this.#known.peek(), ...fresh.map((p): Member => ({ ...p, username: null, role: "member" }))];
    void this.refresh();
  }

  /** Refetches the room's details and members; a failure that ends the room ends it. */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      const r = await api.getRoom(this.#roomId);
      if (r.ok) this.apply(r.data);
      else this.#fail(r, "any");
    })().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  apply(r: RoomResponse): void {
    batch(() => {
      this.#room.value = r.room;
      this.#bans.value = r.bans ?? [];
      // Whoever is online but not listed yet stays (the list may predate their join).
      const listed = new Set(r.members.map((m) => m.id));
      const online = new Set(this.#deps.online.peek().map((p) => p.id));
      this.#known.value = [...r.members, ...this.#known.peek().filter((m) => !listed.has(m.id) && online.has(m.id))];
    });
  }

  /** The details and members as a RoomResponse (kept on the device for opening offline). */
  snapshot(): { room: RoomDetail; members: readonly Member[] } {
    return { room: this.#room.value, members: this.#known.value };
  }

  /** A name for a user id (reaction tooltips): "You" for us, "Someone" for a stranger. */
  nameOf(uid: string): string {
    if (uid === this.#deps.me.peek().id) return "You";
    return this.#known.peek().find((m) => m.id === uid)?.name ?? this.#deps.online.peek().find((p) => p.id === uid)?.name ?? "Someone";
  }

  update(body: UpdateRoomBody): Promise<ApiFailure | null> {
    return this.#act(api.updateRoom(this.#roomId, body), (d) => this.apply(d));
  }

  /** A new invite code; the old link stops working. */
  resetInvite(): Promise<ApiFailure | null> {
    return this.#act(api.rotateInvite(this.#roomId), (d) => (this.#room.value = { ...this.#room.peek(), invite: d.invite }));
  }

  /** Removes a member; `ban` also bans them (the ban list is refetched with the room). */
  removeMember(uid: string, ban: boolean): Promise<ApiFailure | null> {
    return this.#act(api.removeMember(this.#roomId, uid, ban), () => {
      this.#known.value = this.#known.peek().filter((m) => m.id !== uid);
      if (ban) void this.refresh();
    });
  }

  /** Lifts a ban: they may join by the invite link again. */
  unban(uid: string): Promise<ApiFailure | null> {
    return this.#act(api.unban(this.#roomId, uid), () => (this.#bans.value = this.#bans.peek().filter((b) => b.id !== uid)));
  }

  /** Runs an owner action: a failure is returned for the dialog to show; a lost session also ends the room. */
  async #act<T>(request: Promise<ApiResult<T>>, then: (data: T) => void): Promise<ApiFailure | null> {
    const r = await request;
    if (!r.ok) {
      this.#fail(r, "session");
      return r;
    }
    then(r.data);
    return null;
  }

  /** `any`: the room's own details failing to load (403/404/401) ends it; `session`: only 401 does. */
  #fail(r: ApiFailure, ends: "any" | "session") {
    const p = ends === "any" || r.status === 401 ? problemOf(r) : null;
    if (p) this.#deps.end(p);
  }
}
