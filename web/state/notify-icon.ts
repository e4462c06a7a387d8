/**
 * A notification's icon: the sender's initials on their avatar colour, as an SVG data URL
 * (no image file, and the CSP allows data: images). Shared by the page and the service worker.
 */
import { avatarColor, initials } from "./messages";

export function notificationIcon(name: string, colorKey: string): string {
  const text = initials(name).replace(/[<>&"']/g, "");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="20" fill="${avatarColor(colorKey)}"/>` +
    `<text x="48" y="50" font-family="system-ui,sans-serif" font-size="40" font-weight="600" fill="#fff" text-anchor="middle" dominant-baseline="central">${text}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
