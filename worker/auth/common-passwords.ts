/**
 * The common passwords signup refuses: 11,611 of zxcvbn's 30,000 most common (those of a
 * length a password may have), front-coded in common-passwords.txt (made by
 * scripts/common-passwords.mjs, which says where the list comes from). Server-side only:
 * the client shows the server's reason rather than carry 70 KB in its bundle.
 */
import encoded from "./common-passwords.txt";

/** Decodes the front-coded list: each line is a base-36 count of characters shared with the previous entry, then the rest. */
export function decodeFrontCoded(text: string): Set<string> {
  const set = new Set<string>();
  let prev = "";
  for (const line of text.split("\n")) {
    if (line === "") continue;
    prev = prev.slice(0, parseInt(line[0]!, 36)) + line.slice(1);
    set.add(prev);
  }
  return set;
}

/** Built on first use, once per isolate. */
let common: Set<string> | undefined;

/** Whether `password` is on the list, whatever its case. */
export function isCommonPassword(password: string): boolean {
  common ??= decodeFrontCoded(encoded);
  return common.has(password.toLowerCase());
}

