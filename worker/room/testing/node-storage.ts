/**
 * The room's `Storage` (store/ports.ts) on Node's built-in SQLite, in memory: the store
 * and the room logic run their real SQL in unit tests, without workerd. KV is a Map (it
 * is a separate table in a Durable Object; here it need not be).
 */
import { DatabaseSync } from "node:sqlite";
import type { Kv, Sql, SqlCursor, SqlValue, Storage } from "../store/ports";

export function nodeStorage(): Storage & { db: DatabaseSync; map: Map<string, unknown> } {
  const db = new DatabaseSync(":memory:");
  const map = new Map<string, unknown>();
  const sql: Sql = {
    exec<T extends Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): SqlCursor<T> {
      const st = db.prepare(query);
      const params = bindings.map((b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : b));
      let rows: T[];
      let written: number;
      if (st.columns().length > 0) {
        rows = st.all(...params) as T[];
        written = Number((db.prepare("SELECT changes() AS n").get() as { n: number }).n);
        if (!/^\s*(insert|update|delete|replace)/i.test(query)) written = 0;
      } else {
        rows = [];
        written = Number(st.run(...params).changes);
      }
      return {
        toArray: () => rows,
        one: () => {
          if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}`);
          return rows[0]!;
        },
        rowsWritten: written,
      };
    },
  };
  const kv: Kv = {
    get: <T>(key: string) => (map.has(key) ? structuredClone(map.get(key)) : undefined) as T | undefined,
    put: (key, value) => void map.set(key, structuredClone(value)),
    delete: (key) => map.delete(key),
  };
  let depth = 0;
  return {
    db,
    map,
    sql,
    kv,
    transactionSync<T>(fn: () => T): T {
      // Nested calls join the outer transaction (as in a Durable Object).
      if (depth > 0) return fn();
      const saved = new Map([...map].map(([k, v]) => [k, structuredClone(v)]));
      db.exec("BEGIN");
      depth++;
      try {
        const out = fn();
        db.exec("COMMIT");
        return out;
      } catch (err) {
        db.exec("ROLLBACK");
        map.clear();
        for (const [k, v] of saved) map.set(k, v);
        throw err;
      } finally {
        depth--;
      }
    },
  };
}
