/**
 * The switcher (Ctrl/⌘+K, or the sidebar's search button): type to find a conversation by
 * name or messages by words; arrows move, Enter opens, Escape closes. A chunk of its own,
 * loaded when it first opens (Shell.tsx). A message opens its room at that message.
 */
import type { ReadonlySignal } from "@preact/signals";
import { useEffect, useId, useMemo, useRef } from "preact/hooks";
import type { RoomSummary, SnippetPart } from "../../../worker/protocol";
import { fullDate } from "../../state/messages";
import { shortWhen } from "../../state/sidebar-lines";
import { createSwitcherStore, itemKey, type SwitcherItem } from "../../state/search";
import { Avatar } from "../Avatar";
import { useApp } from "../context";
import { Dialog } from "../Dialog";

/** Load the next page this close (px) to the bottom of the results. */
const MORE_PX = 120;

/** A snippet as nodes: matched words in <mark>, everything as text (never HTML). */
export function snippetNodes(parts: readonly SnippetPart[]) {
  return parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : p.text));
}

export function Switcher({ rooms, onClose }: { rooms: ReadonlySignal<readonly RoomSummary[]>; onClose: () => void }) {
  const app = useApp();
  const store = useMemo(() => createSwitcherStore(rooms), [rooms]);
  useEffect(() => () => store.dispose(), [store]);
  const listId = useId();
  const list = useRef<HTMLDivElement>(null);
  const items = store.items.value;
  const active = store.active.value;
  const q = store.query.value;
  const conversations = store.conversations.value;
  const hits = store.hits.value;

  // The active row stays in view as the arrows move it.
  useEffect(() => {
    list.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: "nearest" });
  }, [active]);

  function choose(item: SwitcherItem | undefined) {
    if (!item) return;
    onClose();
    if (item.kind === "room") app.navigate(`/r/${encodeURIComponent(item.room.id)}`);
    else app.openMessage(item.hit.roomId, item.hit.seq);
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      store.move(e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Enter") {
      e.preventDefault();
      choose(items[active]);
    }
  }

  const option = (item: SwitcherItem, i: number) => ({
    id: `${listId}-${i}`,
    role: "option" as const,
    "aria-selected": i === active,
    class: i === active ? "switcher-item active" : "switcher-item",
    onClick: () => choose(item),
    onPointerMove: () => {
      if (i !== active) store.setActive(i);
    },
  });

  return (
    <Dialog title="Search" class="switcher" onClose={onClose}>
      <input
        class="switcher-input"
        type="search"
        placeholder="Conversations and messages"
        autoFocus
        aria-controls={listId}
        aria-activedescendant={items.length ? `${listId}-${active}` : undefined}
        aria-label="Search conversations and messages"
        value={q}
        onInput={(e) => store.setQuery(e.currentTarget.value)}
        onKeyDown={onKeyDown}
      />
      <div
        class="switcher-results"
        id={listId}
        role="listbox"
        aria-label="Results"
        ref={list}
        onScroll={(e) => {
          const el = e.currentTarget;
          if (el.scrollHeight - el.scrollTop - el.clientHeight < MORE_PX) store.more();
        }}
      >
        {conversations.length > 0 && (
          <div role="group" aria-label="Conversations">
            <div class="switcher-group">Conversations</div>
            {conversations.map((room, i) => (
              <div key={itemKey({ kind: "room", room })} {...option({ kind: "room", room }, i)}>
                <Avatar uid={room.id} name={room.name} size="sm" round={room.kind === "dm"} />
                <span class="switcher-name">{room.name}</span>
                {room.kind === "dm" && <span class="muted">Direct message</span>}
              </div>
            ))}
          </div>
        )}
        {hits.length > 0 && (
          <div role="group" aria-label="Messages">
            <div class="switcher-group">Messages</div>
            {hits.map((hit, j) => {
              const item: SwitcherItem = { kind: "message", hit };
              return (
                <div key={itemKey(item)} {...option(item, conversations.length + j)}>
                  <span class="switcher-hit">
                    <span class="switcher-meta">
                      <bdi class="switcher-room">{hit.roomName}</bdi>
                      <span class="muted">·</span>
                      <bdi>{hit.name}</bdi>
                      <time class="muted" dateTime={new Date(hit.ts).toISOString()} title={fullDate(hit.ts)}>
                        {shortWhen(hit.ts)}
                      </time>
                    </span>
                    <span class="switcher-snippet" dir="auto">
                      {snippetNodes(hit.snippet)}
                    </span>
                  </span>
                </div>
              );
            })}
          </div>
        )}
        <div class="switcher-status">
          {store.error.value ? (
            <span class="error">{store.error.value}</span>
          ) : store.loading.value ? (
            <span class="muted">Searching…</span>
          ) : store.hasMore.value ? (
            <button type="button" class="link-button" onClick={() => store.more()}>
              More messages
            </button>
          ) : q.trim() === "" ? (
            <span class="muted">Type a conversation's name or words from a message.</span>
          ) : store.answered.value === q && items.length === 0 ? (
            <span class="muted">Nothing found.</span>
          ) : null}
        </div>
      </div>
    </Dialog>
  );
}
