declare namespace Cloudflare {
  interface Env {
    /** D1 migrations read by vitest.config.ts, applied in apply-migrations.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The loopback push service's base URL (test/support/push-service.mjs, started by vitest.config.ts). */
    TEST_PUSH_SERVICE: string;
  }
}
