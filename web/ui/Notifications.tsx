/**
 * The notifications part (loaded after the shell shows, never needed to open a room): the
 * notifier (state/notify.ts), the prompt, and a room's notification settings dialog.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { MUTE_FOREVER, NotificationSettingsResponse, type NotificationSettingsBody } from "../../worker/protocol";
import { call, failureText, roomPath } from "../api";
import type { Notifier } from "../state/notify";
import type { SidebarStore } from "../state/sidebar";
import { Dialog } from "./Dialog";

export { createNotifier } from "../state/notify";

/** The in-app prompt (shown by the notifier only after a first message sent or a second room opened). */
export function NotifyBanner({ notifier }: { notifier: Notifier }) {
  if (!notifier.prompt.value) return null;
  return (
    <div class="save-nudge notify-nudge" role="region" aria-label="Notifications">
      <span>Get a notification when a message arrives while this tab is in the background or closed.</span>
      <span class="notify-actions">
        <button type="button" class="button small primary" onClick={() => void notifier.enable()}>
          Enable notifications
        </button>
        <button type="button" class="button small ghost" onClick={notifier.dismiss}>
          Not now
        </button>
      </span>
    </div>
  );
}

const LEVELS: Array<{ value: "default" | "all" | "mentions"; label: string }> = [
  { value: "all", label: "All messages" },
  { value: "mentions", label: "Mentions and direct messages only" },
  { value: "default", label: "Default" },
];
const MUTES: Array<{ value: NonNullable<NotificationSettingsBody["mute"]>; label: string }> = [
  { value: "1h", label: "For 1 hour" },
  { value: "8h", label: "For 8 hours" },
  { value: "forever", label: "Until I turn it back on" },
];

/** The viewer's notifications for one room: level, mute. */
export function RoomNotifyDialog({ roomId, sidebar, onClose }: { roomId: string; sidebar: SidebarStore; onClose: () => void }) {
  const settings = useSignal<NotificationSettingsResponse | null>(null);
  const error = useSignal<string | null>(null);
  const path = `${roomPath(roomId)}/notifications`;

  const apply = (s: NotificationSettingsResponse) => {
    settings.value = s;
    sidebar.setNotify(roomId, s.level ?? s.effective, s.mutedUntil);
  };
  useEffect(() => {
    void call("GET", path, NotificationSettingsResponse).then((r) => (r.ok ? apply(r.data) : (error.value = failureText(r))));
  }, [roomId]);

  async function save(body: NotificationSettingsBody) {
    const r = await call("PUT", path, NotificationSettingsResponse, body);
    if (r.ok) apply(r.data);
    else error.value = failureText(r);
  }

  const s = settings.value;
  const muted = s !== null && s.mutedUntil > Date.now();
  return (
    <Dialog title="Notifications" onClose={onClose} class="notify-dialog">
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      {s && (
        <>
          <fieldset class="notify-levels">
            <legend>Notify me about</legend>
            {LEVELS.map((l) => (
              <label key={l.value}>
                <input type="radio" name="level" checked={(s.level ?? "default") === l.value} onChange={() => void save({ level: l.value })} />
                {l.value === "default" ? `Default (${s.effective === "all" ? "all messages" : "mentions only"})` : l.label}
              </label>
            ))}
          </fieldset>
          <div class="notify-mute">
            {muted ? (
              <>
                <p class="muted">{s.mutedUntil >= MUTE_FOREVER ? "Muted until you turn it back on." : `Muted until ${new Date(s.mutedUntil).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}.`}</p>
                <button type="button" class="button" onClick={() => void save({ mute: "off" })}>
                  Unmute
                </button>
              </>
            ) : (
              <>
                <p class="muted">Mute: no notifications; unread messages still count, in grey.</p>
                {MUTES.map((m) => (
                  <button key={m.value} type="button" class="button" onClick={() => void save({ mute: m.value })}>
                    {m.label}
                  </button>
                ))}
              </>
            )}
          </div>
        </>
      )}
      <div class="dialog-actions">
        <button type="button" class="button primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
