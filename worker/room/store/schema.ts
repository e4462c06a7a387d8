/**
 * The room's own SQLite schema, versioned: a list of migrations, each run once, in
 * order, keyed by the `schema_version` the room stores. A room object runs the ones it
 * has not run yet when it starts (on every wake this is one KV read).
 *
 * Add a migration at the end to change the schema; never edit one that has shipped.
 */
import type { Storage } from "./ports";

export interface Migration {
  version: number;
  /** What it adds and why (kept with the list as its history). */
  name: string;
  up(s: Storage): void;
}

const VERSION_KEY = "schema_version";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "the log, files, reactions and doomed rows (issues 2–5)",
    up({ sql }) {
      sql.exec(`CREATE TABLE IF NOT EXISTS log (
        seq INTEGER PRIMARY KEY,
        cid TEXT NOT NULL,
        uid TEXT NOT NULL,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        ts INTEGER NOT NULL,
        -- 0: not in D1 yet; 1: D1 has it; 2: D1 holds another message at this seq (never retried)
        flushed INTEGER NOT NULL DEFAULT 0,
        call TEXT,
        attachments TEXT,
        deleted INTEGER NOT NULL DEFAULT 0
      )`);
      // Rooms made before the schema was versioned may have a log without the columns
      // calls and media added: add what is missing.
      const cols = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('log')").toArray().map((c) => c.name));
      if (!cols.has("call")) sql.exec("ALTER TABLE log ADD COLUMN call TEXT");
      if (!cols.has("attachments")) sql.exec("ALTER TABLE log ADD COLUMN attachments TEXT");
      if (!cols.has("deleted")) sql.exec("ALTER TABLE log ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0");
      sql.exec("CREATE UNIQUE INDEX IF NOT EXISTS log_uid_cid ON log (uid, cid)"); // dropped by version 3
      sql.exec("CREATE INDEX IF NOT EXISTS log_unflushed ON log (seq) WHERE flushed = 0");
      // Finished uploads of this room, told by the Worker (attachmentReady); seq is set once a message carries one.
      sql.exec("CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, uid TEXT NOT NULL, meta TEXT NOT NULL, seq INTEGER)");
      // Current reactions (for welcome/page) and the ordered log of changes still to flush to D1.
      sql.exec(`CREATE TABLE IF NOT EXISTS reactions (seq INTEGER NOT NULL, emoji TEXT NOT NULL, uid TEXT NOT NULL, ts INTEGER NOT NULL,
        PRIMARY KEY (seq, emoji, uid))`);
      sql.exec(`CREATE TABLE IF NOT EXISTS reaction_log (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL,
        emoji TEXT NOT NULL, uid TEXT NOT NULL, on_ INTEGER NOT NULL, ts INTEGER NOT NULL)`);
      // Deleted messages whose D1 rows and R2 objects the alarm still has to clean up (files: JSON id list).
      sql.exec("CREATE TABLE IF NOT EXISTS doomed (seq INTEGER PRIMARY KEY, files TEXT NOT NULL)");
    },
  },
  {
    version: 2,
    name: "a (sender, cid) → seq index that outlives the trimmed log, so a late resend is never stored twice",
    up({ sql }) {
      sql.exec(`CREATE TABLE IF NOT EXISTS sent (
        uid TEXT NOT NULL,
        cid TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (uid, cid)
      ) WITHOUT ROWID`);
      sql.exec("CREATE INDEX IF NOT EXISTS sent_ts ON sent (ts)");
      sql.exec("INSERT OR IGNORE INTO sent (uid, cid, seq, ts) SELECT uid, cid, seq, ts FROM log");
    },
  },
  {
    version: 3,
    name: "the log's own (uid, cid) index goes: the sent index is the one dedupe needs, and each message wrote both",
    up({ sql }) {
      sql.exec("DROP INDEX IF EXISTS log_uid_cid");
    },
  },
  {
    version: 4,
    name: "the hubs watching the room (a lease each renews while its user has the app open): only they hear of its news",
    up({ sql }) {
      sql.exec("CREATE TABLE IF NOT EXISTS watchers (uid TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID");
    },
  },
  {
    version: 5,
    name: "replies and edits (issue 9): a reply's quote and an edit time on the log, and the edits still to flush",
    up({ sql }) {
      // reply_to: the quote (ReplyQuote JSON) the room stamped from the original; edited: the last edit's time.
      sql.exec("ALTER TABLE log ADD COLUMN reply_to TEXT");
      sql.exec("ALTER TABLE log ADD COLUMN edited INTEGER");
      // Edits of messages D1 may hold already (any seq, in or older than the log), in their order, for the flush.
      sql.exec(`CREATE TABLE IF NOT EXISTS edit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL,
        text TEXT NOT NULL, ts INTEGER NOT NULL)`);
    },
  },
  {
    version: 6,
    name: "mentions: the ids a message mentions (JSON), and the room's members as the room knows them (to check mentions without D1)",
    up({ sql }) {
      sql.exec("ALTER TABLE log ADD COLUMN mentions TEXT");
      // An edit changes what a message mentions: the flush writes the new list with the text.
      // (edit_log may have it already: a room that lost its schema version reruns every
      // migration, and version 5 keeps an existing edit_log as it is.)
      const cols = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('edit_log')").toArray();
      if (!cols.some((c) => c.name === "mentions")) sql.exec("ALTER TABLE edit_log ADD COLUMN mentions TEXT");
      // Loaded from D1 once (KV members_at), then kept: removals in place, joins by marking it stale.
      sql.exec("CREATE TABLE IF NOT EXISTS members (uid TEXT PRIMARY KEY, role TEXT NOT NULL) WITHOUT ROWID");
    },
  },
  {
    version: 7,
    name: "read receipts: each member's read and delivered positions, and whether they share reads",
    up({ sql }) {
      sql.exec(`CREATE TABLE IF NOT EXISTS receipts (uid TEXT PRIMARY KEY, read INTEGER NOT NULL DEFAULT 0,
        delivered INTEGER NOT NULL DEFAULT 0, hidden INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Brings the room's storage up to SCHEMA_VERSION; each migration and its version bump land together. */
export function migrate(s: Storage, migrations: readonly Migration[] = MIGRATIONS): void {
  const at = s.kv.get<number>(VERSION_KEY) ?? 0;
  for (const m of migrations) {
    if (m.version <= at) continue;
    s.transactionSync(() => {
      m.up(s);
      s.kv.put(VERSION_KEY, m.version);
    });
  }
}
