#!/usr/bin/env node
/**
 * Writes worker/auth/common-passwords.txt, the list of common passwords signup refuses.
 *
 *   node scripts/common-passwords.mjs < list.txt
 *
 * `list.txt`: passwords, one per line or comma-separated. The shipped file was made from
 * zxcvbn's `passwords` frequency list (the 30,000 most common passwords of Mark Burnett's
 * 10-million-password set; MIT), as Debian's python3-zxcvbn 4.4.28 ships it in
 * zxcvbn/frequency_lists.py (FREQUENCY_LISTS["passwords"]); the npm package zxcvbn 4.4.2 has
 * the same list, comma-joined, in lib/frequency_lists.js.
 *
 * Only what a password may be is kept (MIN_PASSWORD to MAX_PASSWORD characters, as in
 * worker/protocol/http.ts): shorter ones are refused anyway and would only weigh on the
 * Worker. Lowercased (the check is case-insensitive), sorted, and front-coded: each line is
 * one base-36 digit, how many leading characters it shares with the line before, then the
 * rest. 11,611 entries: 109 KB as plain lines, 70 KB front-coded.
 */
import { readFileSync, writeFileSync } from "node:fs";

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;
/** A shared prefix is one base-36 digit. */
const MAX_SHARED = 35;

const words = [
  ...new Set(
    readFileSync(0, "utf8")
      .split(/[\n,]/)
      .map((w) => w.replace(/\r$/, "").toLowerCase())
      .filter((w) => w.length >= MIN_PASSWORD && w.length <= MAX_PASSWORD),
  ),
].sort();

let prev = "";
const lines = words.map((w) => {
  let shared = 0;
  while (shared < Math.min(prev.length, w.length, MAX_SHARED) && prev[shared] === w[shared]) shared++;
  prev = w;
  return shared.toString(36) + w.slice(shared);
});
const out = new URL("../worker/auth/common-passwords.txt", import.meta.url);
writeFileSync(out, lines.join("\n") + "\n");
console.log(`${words.length} passwords, ${lines.join("\n").length + 1} bytes → ${out.pathname}`);
