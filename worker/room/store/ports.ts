/**
 * The storage a room's code is written against: the synchronous SQL and KV APIs of a
 * SQLite-backed Durable Object (`ctx.storage` satisfies this as it is), declared here so
 * that the store and the room logic run in Node too (tests use `node:sqlite`).
 */
export type SqlValue = ArrayBuffer | string | number | null;

export interface SqlCursor<T> {
  toArray(): T[];
  one(): T;
  readonly rowsWritten: number;
}

export interface Sql {
  exec<T extends Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): SqlCursor<T>;
}

export interface Kv {
  get<T = unknown>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
  delete(key: string): boolean;
}

export interface Storage {
  readonly sql: Sql;
  readonly kv: Kv;
  /** Runs `fn` as one transaction: all of its writes land, or (when it throws) none. */
  transactionSync<T>(fn: () => T): T;
}
