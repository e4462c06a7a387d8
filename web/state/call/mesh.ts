/**
 * The full mesh: exactly one PeerLink per other participant of the call we are in (≤
 * CALL_MAX_PARTICIPANTS), made with the ICE servers of the current call, and their tiles'
 * state for the UI. It also fans a new track of ours out to every peer.
 */
import { computed, signal, type ReadonlySignal } from "@preact/signals";
import { PeerLink, isPolite, type Outgoing, type PeerView, type Recorder, type Signal } from "./peer";
import type { Senders } from "./media";

export interface MeshOptions {
  me(): string;
  create(config: RTCConfiguration): RTCPeerConnection;
  /** Signaling to participant `to` of the call we are in. */
  send(to: string, signal: Signal): void;
  outgoing(): Outgoing;
  record?: Recorder;
}

export class Mesh implements Senders {
  readonly #o: MeshOptions;
  readonly #links = new Map<string, PeerLink>();
  /** ICE servers and transport policy of the call (GET /api/turn before each call). */
  #config: RTCConfiguration = {};
  readonly #views = signal<ReadonlyMap<string, PeerView>>(new Map());
  /** Some peer is connected (the call is up). */
  readonly connected: ReadonlySignal<boolean> = computed(() => [...this.#views.value.values()].some((v) => v.state === "connected"));

  constructor(options: MeshOptions) {
    this.#o = options;
  }

  /** Their media and connection state, by user id. */
  get views(): ReadonlySignal<ReadonlyMap<string, PeerView>> {
    return this.#views;
  }

  /** The peer for `id`, if any (tests and diagnostics). */
  get(id: string): PeerLink | undefined {
    return this.#links.get(id);
  }

  configure(config: RTCConfiguration): void {
    this.#config = config;
  }

  /** The peer for `id`, made if missing. `initiate`: offer at once (by default only the impolite side does). */
  ensure(id: string, initiate?: boolean): PeerLink {
    const have = this.#links.get(id);
    if (have) return have;
    const link = new PeerLink({
      id,
      polite: isPolite(this.#o.me(), id),
      config: this.#config,
      create: this.#o.create,
      send: (s) => this.#o.send(id, s),
      outgoing: this.#o.outgoing,
      onView: (v) => this.#setView(id, v),
      ...(this.#o.record ? { record: this.#o.record } : {}),
      ...(initiate === undefined ? {} : { initiate }),
    });
    this.#links.set(id, link);
    return link;
  }

  /** Signaling from `from`: to their peer (made if this is the first we hear of them). */
  receive(from: string, description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null): void {
    this.ensure(from).receive(description, candidate);
  }

  /** Keeps the peers of `ids` only; `connect`: makes the missing ones. */
  keep(ids: readonly string[], connect: boolean): void {
    for (const id of [...this.#links.keys()]) if (!ids.includes(id)) this.close(id);
    if (connect) for (const id of ids) this.ensure(id);
  }

  renegotiate(ids: readonly string[] | "all"): void {
    for (const [id, link] of this.#links) if (ids === "all" || ids.includes(id)) link.renegotiate();
  }

  close(id: string): void {
    const link = this.#links.get(id);
    if (!link) return;
    this.#links.delete(id);
    link.close();
    const next = new Map(this.#views.peek());
    next.delete(id);
    this.#views.value = next;
  }

  closeAll(): void {
    for (const id of [...this.#links.keys()]) this.close(id);
  }

  async video(track: MediaStreamTrack | null, stream: MediaStream | null): Promise<void> {
    await Promise.all([...this.#links.values()].map((l) => l.setVideo(track, stream)));
  }

  async audio(track: MediaStreamTrack, stream: MediaStream | null): Promise<void> {
    await Promise.all([...this.#links.values()].map((l) => l.setAudio(track, stream)));
  }

  #setView(id: string, v: PeerView): void {
    const next = new Map(this.#views.peek());
    next.set(id, v);
    this.#views.value = next;
  }
}
