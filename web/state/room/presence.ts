/**
 * Who is here and who is typing.
 *
 * - Online: the welcome's list, then `presence` deltas (joined / left).
 * - Typing: each `typing` frame stores when that person's typing runs out (`until`); one
 *   timer, set for the earliest `until`, prunes whoever ran out and re-arms for the next.
 *   A message from someone, their leaving, or our socket closing ends their typing at once.
 * - Ours (`OwnTyping`): throttled `typing` frames while the person types, one `on: false`
 *   when they stop or send.
 */
import { computed, signal, type ReadonlySignal } from "@preact/signals";
import { TYPING_TTL_MS, type ClientFrame, type Peer, type ServerFrameOf } from "../../../worker/protocol";

interface Typist {
  name: string;
  /** Local time their typing runs out, ms. */
  until: number;
}

/** "Alice is typing…", "Alice and Bob are typing…", "Alice, Bob and Carol are typing…". */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length <= 3) return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
  return "Several people are typing…";
}

export class Presence {
  readonly #me: ReadonlySignal<Peer>;
  readonly #online = signal<readonly Peer[]>([]);
  readonly #typing = signal<Readonly<Record<string, Typist>>>({});
  /** The one timer: fires when the earliest typing runs out. */
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Who is connected to the room now (us included). */
  readonly online: ReadonlySignal<readonly Peer[]> = this.#online;
  /** Who is typing, in the order they started. */
  readonly typingNames: ReadonlySignal<readonly string[]> = computed(() => Object.values(this.#typing.value).map((t) => t.name));
  readonly typingText: ReadonlySignal<string> = computed(() => typingLine(this.typingNames.value));

  constructor(me: ReadonlySignal<Peer>) {
    this.#me = me;
  }

  /** The whole online list (welcome). Whoever is gone stops typing. */
  setOnline(peers: readonly Peer[]): void {
    this.#online.value = peers;
    const on = new Set(peers.map((p) => p.id));
    const t = this.#typing.peek();
    if (Object.keys(t).some((id) => !on.has(id))) this.#setTyping(Object.fromEntries(Object.entries(t).filter(([id]) => on.has(id))));
  }

  /** A presence delta. */
  change(f: ServerFrameOf<"presence">): void {
    const left = new Set([...f.left, ...f.joined.map((p) => p.id)]);
    this.setOnline([...this.#online.peek().filter((p) => !left.has(p.id)), ...f.joined]);
  }

  typing(f: ServerFrameOf<"typing">): void {
    if (!f.on) return this.stopTyping(f.user.id);
    if (f.user.id === this.#me.peek().id) return;
    const ms = Math.min(Math.max(f.ttl, 0), TYPING_TTL_MS * 2);
    this.#setTyping({ ...this.#typing.peek(), [f.user.id]: { name: f.user.name, until: Date.now() + ms } });
  }

  stopTyping(uid: string): void {
    const t = this.#typing.peek();
    if (!(uid in t)) return;
    const { [uid]: _gone, ...rest } = t;
    this.#setTyping(rest);
  }

  /** Our socket closed: no typing frame can reach us, so nobody is shown typing. */
  clearTyping(): void {
    this.#setTyping({});
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }

  #setTyping(next: Readonly<Record<string, Typist>>) {
    if (next !== this.#typing.peek()) this.#typing.value = next;
    clearTimeout(this.#timer);
    const untils = Object.values(next).map((t) => t.until);
    this.#timer = untils.length ? setTimeout(() => this.#prune(), Math.max(0, Math.min(...untils) - Date.now())) : undefined;
  }

  #prune() {
    const now = Date.now();
    const t = this.#typing.peek();
    const left = Object.entries(t).filter(([, x]) => x.until > now);
    this.#setTyping(left.length === Object.keys(t).length ? t : Object.fromEntries(left));
  }
}

/** Our own typing, told to the room: at most one `on` frame per half TTL, one `off` when we stop. */
export class OwnTyping {
  readonly #send: (f: ClientFrame) => boolean;
  #on = false;
  /** When we last said `on` (never: -Infinity). */
  #sentAt = -Infinity;

  constructor(send: (f: ClientFrame) => boolean) {
    this.#send = send;
  }

  /** The composer calls this on every input (true) and on blur/clear/send (false). */
  set(on: boolean, now = Date.now()): void {
    if (on) {
      if (now - this.#sentAt < TYPING_TTL_MS / 2) return;
      if (this.#send({ type: "typing", on: true })) {
        this.#on = true;
        this.#sentAt = now;
      }
    } else if (this.#on) {
      this.#send({ type: "typing", on: false });
      this.reset();
    }
  }

  /** A new connection: the room knows nothing of our typing. */
  reset(): void {
    this.#on = false;
    this.#sentAt = -Infinity;
  }
}
