/**
 * Recording a voice message: MediaRecorder (Opus in WebM where supported), the time so far,
 * Stop (which hands the recording over as an audio file with its duration) and Cancel.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { formatDuration } from "../state/messages";

const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

export function VoiceRecorder({ onDone, onError }: { onDone: (file: File | null, durationMs: number) => void; onError: (msg: string) => void }) {
  const elapsed = useSignal(0);
  const rec = useRef<MediaRecorder | null>(null);
  const keep = useRef(false);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    let started = 0;
    let gone = false;
    const chunks: Blob[] = [];
    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (e) {
        const name = e instanceof DOMException ? e.name : "";
        return onError(name === "NotAllowedError" ? "Microphone access was refused." : "No microphone available.");
      }
      if (gone) return stream.getTracks().forEach((t) => t.stop());
      const mimeType = TYPES.find((t) => typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(t));
      const r = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      rec.current = r;
      r.ondataavailable = (e) => e.data.size && chunks.push(e.data);
      r.onstop = () => {
        clearInterval(timer);
        stream?.getTracks().forEach((t) => t.stop());
        const ms = Date.now() - started;
        if (!keep.current || chunks.length === 0) return onDone(null, 0);
        const type = (r.mimeType || "audio/webm").split(";")[0]!;
        const ext = type === "audio/mp4" ? "m4a" : type === "audio/ogg" ? "ogg" : "webm";
        const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-");
        onDone(new File(chunks, `voice-${stamp}.${ext}`, { type }), ms);
      };
      started = Date.now();
      r.start(250);
      timer = setInterval(() => (elapsed.value = Date.now() - started), 200);
    })();
    return () => {
      gone = true;
      clearInterval(timer);
      if (rec.current?.state === "recording") rec.current.stop();
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);
  const stop = (save: boolean) => {
    keep.current = save;
    if (rec.current?.state === "recording") rec.current.stop();
    else onDone(null, 0);
  };
  return (
    <div class="composer-row recorder" role="group" aria-label="Recording a voice message">
      <span class="rec-dot" aria-hidden="true" />
      <span class="rec-time" aria-live="off">
        {formatDuration(elapsed.value)}
      </span>
      <span class="muted rec-label">Recording…</span>
      <button type="button" class="button ghost" onClick={() => stop(false)}>
        Cancel
      </button>
      <button type="button" class="button primary" onClick={() => stop(true)}>
        Send voice
      </button>
    </div>
  );
}
