import path from "node:path";
import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { startPushService, vapidKeys } from "../../test/support/push-service.mjs";

const here = import.meta.dirname;
const repo = path.join(here, "../..");

export default defineConfig(async () => {
  // Web Push without the internet: fresh VAPID keys and a loopback push service (in this
  // process) that the Worker's pushes reach and the tests read back (push.test.ts).
  const vapid = await vapidKeys();
  const push = await startPushService();
  return {
  root: here,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(repo, "wrangler.toml") },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(path.join(repo, "migrations")),
          // Short enough that a test can watch a silent socket turn into a ghost.
          // (Test clients heartbeat every 250 ms: a wide margin on a loaded machine.)
          GHOST_AFTER_MS: "3000",
          // Flushes are driven by the tests (runDurableObjectAlarm), not the clock.
          FLUSH_DELAY_MS: "600000",
          // Media: a 20 MiB limit and R2's smallest part size, so multipart is tested with 12 MiB.
          MAX_UPLOAD_BYTES: String(20 * 1024 * 1024),
          UPLOAD_PART_BYTES: String(5 * 1024 * 1024),
          // Upload quotas small enough to reach with a few declared sizes (upload-quota.test.ts).
          UPLOADS_IN_FLIGHT: "4",
          UPLOAD_BYTES_PER_DAY: String(40 * 1024 * 1024),
          ROOM_STORAGE_BYTES: String(60 * 1024 * 1024),
          VAPID_PUBLIC_KEY: vapid.publicKey,
          VAPID_PRIVATE_KEY: vapid.privateKey,
          VAPID_SUBJECT: "mailto:tests@chat.test",
          PUSH_LOCAL_ENDPOINTS: "1",
          TEST_PUSH_SERVICE: push.url,
        },
      },
    }),
  ],
  test: {
    include: ["**/*.test.ts"],
    setupFiles: [path.join(here, "apply-migrations.ts")],
    testTimeout: 20_000,
  },
  };
});
