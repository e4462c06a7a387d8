/** The calls' icons (Icons.tsx's style), loaded with the calls' chunks, not in the first one. */
import { Svg } from "../Icons";

export const VideoOffIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <path d="M10 6h3.5a2 2 0 0 1 2 2v3.5l6-4.5v10M15.5 15.5V16a2 2 0 0 1-2 2h-9a2 2 0 0 1-2-2V8a2 2 0 0 1 1.6-2" />
    <path d="M3 3l18 18" />
  </Svg>
);

export const MicIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <rect x="9" y="3" width="6" height="11" rx="3" />
    <path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21" />
  </Svg>
);

export const MicOffIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <path d="M15 10V6a3 3 0 0 0-5.7-1.3M9 9v2a3 3 0 0 0 4.6 2.5M5.5 11a6.5 6.5 0 0 0 10.4 5.2M18.5 11a6.4 6.4 0 0 1-.6 2.7M12 17.5V21" />
    <path d="M3 3l18 18" />
  </Svg>
);

export const ScreenIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <rect x="2.5" y="4" width="19" height="13" rx="2" />
    <path d="M8 21h8M12 17v4M12 13.5v-6M9 10l3-3 3 3" />
  </Svg>
);

export const GearIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <circle cx="12" cy="12" r="3" />
    <path d="M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1" />
  </Svg>
);

export const HangUpIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <path d="M3.2 13.6c4.8-4.3 12.8-4.3 17.6 0l-1.9 2.8-3.3-1.3v-2.3a10 10 0 0 0-7.2 0v2.3l-3.3 1.3z" />
  </Svg>
);
