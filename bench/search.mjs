#!/usr/bin/env node
/**
 * Message search over a room of 1,000,000 messages: the first page's latency through the
 * running app (`wrangler dev` on loopback), per kind of query, beside a reference measured
 * in the same run (the room's latest history page: one primary-key range read of D1 behind
 * the same session check), and the ratio. Printed, never asserted.
 *
 *   npm run bench:search                      # 1,000,000 messages (about 3-4 minutes)
 *   npm run bench:search -- --messages 100000 --runs 50
 *
 * How: the app's local D1 is made by `wrangler d1 migrations apply` (startDev), then seeded
 * directly with node:sqlite while no server runs (the FTS triggers index every row, as the
 * flush would): a small room first (older rowids), then the big room, text drawn from a
 * Zipf-distributed vocabulary of 20,000 made-up words, so queries have a realistic spread of
 * selectivity; one rare word planted in 10 messages. Two people: "reader" is a member of
 * both rooms, "outsider" of the small room only (their common-word search has about 600,000
 * matches in the big room that are not theirs). Then the app starts on that state and each
 * query runs --runs times after 5 warm-ups, one request at a time. The query plan is printed
 * from the same file (EXPLAIN QUERY PLAN of worker/db/search.ts's SQL).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import { build } from "esbuild";
import { startDev } from "../test/support/wrangler-dev.mjs";
import { fmt, now, summary } from "./lib/util.mjs";

const { values: opts } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    runs: { type: "string", default: "100" },
  },
});
const TOTAL = Number(opts.messages);
const RUNS = Number(opts.runs);
const SMALL = 2000;
const RARE = "quokkafish";
const root = path.resolve(import.meta.dirname, "..");

/** The search SQL and query builder, exactly as the Worker has them. */
const search = await (async () => {
  const out = await build({ entryPoints: [path.join(root, "worker/db/search.ts")], bundle: true, write: false, format: "esm", platform: "neutral", logLevel: "silent" });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles?.[0]?.text ?? "").toString("base64")}`);
})();

// ── a vocabulary with a Zipf spread ──────────────────────────────────────────────
let seed = 42;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const SYL = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "po", "den", "mar", "ul", "zen", "bri", "cas", "fel", "gor", "hin", "jas", "wen"];
const vocab = [];
const seen = new Set();
while (vocab.length < 20_000) {
  const n = 1 + Math.floor(rand() * 3) + (vocab.length > 200 ? 1 : 0);
  let w = "";
  for (let i = 0; i < n; i++) w += SYL[Math.floor(rand() * SYL.length)];
  if (!seen.has(w)) {
    seen.add(w);
    vocab.push(w);
  }
}
// Shorter words are the more frequent ones (as in every language), then Zipf (s = 1)
// weights by rank, sampled by binary search over their running sum.
vocab.sort((a, b) => a.length - b.length);
const cum = [];
let acc = 0;
for (let k = 1; k <= vocab.length; k++) cum.push((acc += 1 / k));
const word = () => {
  const x = rand() * acc;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return vocab[lo];
};
const sentence = () => Array.from({ length: 3 + Math.floor(rand() * 16) }, word).join(" ");

// ── the state: migrations by wrangler, rows by node:sqlite ───────────────────────
const dir = mkdtempSync(path.join(tmpdir(), "chat-search-bench-"));
const first = await startDev({ persistTo: dir });
await first.stop();
const d1dir = path.join(dir, "v3/d1/miniflare-D1DatabaseObject");
const file = readdirSync(d1dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
if (!file) throw new Error(`no D1 database under ${d1dir}`);
const sqlite = new DatabaseSync(path.join(d1dir, file));
sqlite.exec("PRAGMA synchronous = OFF");

const id22 = () => randomBytes(16).toString("base64url");
const t0 = Date.now() - TOTAL * 1000;
const people = {};
for (const name of ["reader", "outsider"]) {
  const uid = id22();
  const token = randomBytes(32).toString("base64url");
  sqlite.prepare("INSERT INTO users (id, name, kind, created_at) VALUES (?, ?, 'guest', ?)").run(uid, name, t0);
  sqlite.prepare("INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)").run(createHash("sha256").update(token).digest("hex"), uid, Date.now(), Date.now() + 86_400_000, Date.now());
  people[name] = { uid, cookie: `sid=${token}` };
}
const big = id22();
const small = id22();
const room = sqlite.prepare("INSERT INTO rooms (id, kind, name, created_by, created_at, invite_code) VALUES (?, 'group', ?, ?, ?, ?)");
room.run(big, "big", people.reader.uid, t0, id22());
room.run(small, "small", people.reader.uid, t0, id22());
const member = sqlite.prepare("INSERT INTO room_members (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)");
member.run(big, people.reader.uid, "owner", t0);
member.run(small, people.reader.uid, "owner", t0);
member.run(small, people.outsider.uid, "member", t0);

const insert = sqlite.prepare("INSERT INTO messages (room_id, seq, cid, user_id, user_name, body, created_at) VALUES (?, ?, ?, ?, 'reader', ?, ?)");
const seedAt = now();
const plant = new Set(Array.from({ length: 10 }, (_, i) => Math.floor(((i + 0.5) * TOTAL) / 10)));
const fill = (room, count, planted) => {
  for (let from = 1; from <= count; from += 50_000) {
    sqlite.exec("BEGIN");
    for (let seq = from; seq < Math.min(count + 1, from + 50_000); seq++) {
      const text = planted.has(seq) ? `${sentence()} ${RARE} ${sentence()}` : sentence();
      insert.run(room, seq, `c${seq}`, people.reader.uid, text, t0 + seq * 1000);
    }
    sqlite.exec("COMMIT");
  }
};
fill(small, SMALL, new Set());
fill(big, TOTAL, plant);
sqlite.exec("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')");
const seedS = (now() - seedAt) / 1000;

// What the kinds of query will find (for the table), and the plan.
const common = vocab[0];
const [w1, w2] = [vocab[30], vocab[60]];
const prefix = vocab.slice(1, 200).find((w) => w.length >= 5).slice(0, 3);
/** The most frequent word of 8+ letters, typed out but without the space: a prefix no index covers. */
const long = vocab.find((w) => w.length >= 8);
const count = (q, uid) =>
  sqlite.prepare(`SELECT count(*) AS n FROM (${search.SEARCH_SQL.replace(/LIMIT \?4/, "")})`).get(q, uid, Number.MAX_SAFE_INTEGER)?.n;
const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${search.SEARCH_SQL}`).all(search.ftsQuery(common), people.reader.uid, Number.MAX_SAFE_INTEGER, 21);

/** @type {[string, string, "reader" | "outsider"][]} */
const QUERIES = [
  ["rare word", `${RARE} `, "reader"],
  [`common word "${common}"`, `${common} `, "reader"],
  ["two words", `${w1} ${w2} `, "reader"],
  [`prefix "${prefix}" (being typed)`, prefix, "reader"],
  [`long word "${long}", as a prefix`, long, "reader"],
  [`long word "${long}", typed out`, `${long} `, "reader"],
  [`common word, member of small room only`, `${common} `, "outsider"],
];
const matches = QUERIES.map(([, q, who]) => count(search.ftsQuery(q), people[who].uid));
/** Matches in every room (what a search not limited by the index to one's rooms would walk). */
const everywhere = QUERIES.map(([, q]) => sqlite.prepare("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?").get(`{body} : (${search.ftsQuery(q)})`)?.n);
sqlite.close();

// ── measure through the app ──────────────────────────────────────────────────────
const dev = await startDev({ persistTo: dir, migrate: false });
try {
  const timed = async (url, cookie) => {
    const t = now();
    const res = await fetch(dev.url + url, { headers: { cookie } });
    const body = await res.json();
    if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: now() - t, body };
  };
  const measure = async (url, cookie) => {
    for (let i = 0; i < 5; i++) await timed(url, cookie);
    const times = [];
    let last;
    for (let i = 0; i < RUNS; i++) {
      const r = await timed(url, cookie);
      times.push(r.ms);
      last = r.body;
    }
    return { ...summary(times), last };
  };

  console.log(`search bench: ${fmt.int(TOTAL)} messages in one room (+${fmt.int(SMALL)} in a small one), seeded in ${fmt.s(seedS)} s; ${RUNS} runs per query, one at a time, through wrangler dev at ${dev.url}`);
  console.log("\nEXPLAIN QUERY PLAN (search, first page):");
  for (const row of plan) console.log(`  ${row.detail}`);

  const ref = await measure(`/api/rooms/${big}/messages?before=${TOTAL + 1}&limit=20`, people.reader.cookie);
  console.log(`\n${"query".padEnd(44)} ${"in own rooms".padStart(12)} ${"in all".padStart(9)} ${"page".padStart(5)}   p50 ms   p99 ms   p50 / reference`);
  console.log(`${"reference: latest history page".padEnd(44)} ${"".padStart(12)} ${"".padStart(9)} ${String(ref.last.messages.length).padStart(5)} ${fmt.ms(ref.p50).padStart(8)} ${fmt.ms(ref.p99).padStart(8)}`);
  for (const [i, [name, q, who]] of QUERIES.entries()) {
    const r = await measure(`/api/search?q=${encodeURIComponent(q)}`, people[who].cookie);
    console.log(
      `${name.padEnd(44)} ${fmt.int(matches[i]).padStart(12)} ${fmt.int(everywhere[i]).padStart(9)} ${String(r.last.results.length).padStart(5)} ${fmt.ms(r.p50).padStart(8)} ${fmt.ms(r.p99).padStart(8)} ${(r.p50 / ref.p50).toFixed(2).padStart(10)}×`,
    );
  }
} finally {
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
}
