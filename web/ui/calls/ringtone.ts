/** The ringtone (in the ring banner's chunk: a ring rings before the call code is here). */
import { useEffect } from "preact/hooks";

/**
 * A ringtone while `on`: two short tones every 3 s, made with Web Audio (no file to
 * fetch). Browsers may keep audio silent until the page has had a click; then it is silent.
 */
export function useRingtone(on: boolean) {
  useEffect(() => {
    if (!on || typeof AudioContext === "undefined") return;
    let ctx: AudioContext;
    try {
      ctx = new AudioContext();
    } catch {
      return;
    }
    const ring = () => {
      if (ctx.state === "suspended") void ctx.resume().catch(() => {});
      const t = ctx.currentTime;
      for (const [start, freq] of [
        [0, 880],
        [0.25, 660],
      ] as const) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0, t + start);
        gain.gain.linearRampToValueAtTime(0.12, t + start + 0.02);
        gain.gain.linearRampToValueAtTime(0, t + start + 0.22);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t + start);
        osc.stop(t + start + 0.24);
      }
    };
    ring();
    const timer = setInterval(ring, 3000);
    return () => {
      clearInterval(timer);
      void ctx.close().catch(() => {});
    };
  }, [on]);
}
