/**
 * Inline SVG icons (no icon font, no requests): decorative, hidden from assistive tech. Those
 * the first chunk draws are here; a part loaded on demand keeps its own beside it (the
 * sidebar's in Sidebar.tsx, the calls' in calls/icons.tsx), or they would be in the first chunk too.
 */
import type { ComponentChildren } from "preact";

export function Svg(props: { size?: number; children: ComponentChildren; fill?: boolean }) {
  const size = props.size ?? 18;
  return (
    <svg
      viewBox="0 0 24 24"
      width={size}
      height={size}
      aria-hidden="true"
      fill={props.fill ? "currentColor" : "none"}
      stroke={props.fill ? "none" : "currentColor"}
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      {props.children}
    </svg>
  );
}

export function ChatIcon() {
  return (
    <svg viewBox="0 0 32 32" width="40" height="40" aria-hidden="true">
      <rect width="32" height="32" rx="9" fill="currentColor" />
      <path d="M8 10h16v10H14l-5 4v-4H8z" fill="#fff" />
    </svg>
  );
}

export const PeopleIcon = () => (
  <Svg>
    <circle cx="9" cy="8" r="3.5" />
    <path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5" />
    <path d="M16 4.8a3.3 3.3 0 0 1 0 6.4M18.5 14.8c1.6.8 2.7 2.5 3 5.2" />
  </Svg>
);

export const LinkIcon = () => (
  <Svg size={16}>
    <path d="M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1 1" />
    <path d="M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1-1" />
  </Svg>
);

export const MoreIcon = () => (
  <Svg fill>
    <circle cx="12" cy="5" r="1.8" />
    <circle cx="12" cy="12" r="1.8" />
    <circle cx="12" cy="19" r="1.8" />
  </Svg>
);

export const BackIcon = () => (
  <Svg size={22}>
    <path d="M15 5l-7 7 7 7" />
  </Svg>
);

export const SendIcon = () => (
  <Svg fill>
    <path d="M3.4 20.4 21 12 3.4 3.6l-.1 6.5L15 12 3.3 13.9z" />
  </Svg>
);

export const PhoneIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <path d="M5 4h3.5l1.7 4.3-2.2 1.4a11 11 0 0 0 6.3 6.3l1.4-2.2L20 15.5V19a1.5 1.5 0 0 1-1.6 1.5A16.5 16.5 0 0 1 3.5 5.6 1.5 1.5 0 0 1 5 4z" />
  </Svg>
);

export const VideoIcon = (p: { size?: number }) => (
  <Svg size={p.size}>
    <rect x="2.5" y="6" width="13" height="12" rx="2" />
    <path d="M15.5 10.5 21.5 7v10l-6-3.5" />
  </Svg>
);
