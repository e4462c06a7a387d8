#!/usr/bin/env node
/**
 * The old single-target bench, kept for its flags: one fan-out against the app only.
 * It is bench/run.mjs with `--targets app --scenario fanout` and the old defaults
 * (100 clients, 5 senders × 5 msg/s, 10 s); any of its options may be given too.
 *
 *   node bench/fanout.mjs --clients 300 --senders 10 --rate 8 --seconds 20
 *   node bench/fanout.mjs --url http://127.0.0.1:8787      # against `npm start`
 *
 * For the app beside the floor and Socket.IO, run `npm run bench` (bench/run.mjs).
 */
const args = process.argv.slice(2);
const has = (flag) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
/** @type {[string, string][]} */
const defaults = [
  ["--targets", "app"],
  ["--scenario", "fanout"],
  ["--senders", "5"],
  ["--seconds", "10"],
];
for (const [flag, value] of defaults) if (!has(flag)) args.push(flag, value);
if (!has("--clients") && !has("--members")) args.push("--clients", "100");
if (!has("--rate") && !has("--total-rate")) args.push("--rate", "5");
process.argv.splice(2, process.argv.length - 2, ...args);
await import("./run.mjs");
