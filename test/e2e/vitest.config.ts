import { defineConfig } from "vitest/config";

/**
 * Browser end-to-end tests: headless Chromium (playwright-core + the Debian package)
 * against the app under `wrangler dev`. One fork, one file at a time: each file starts
 * its own server and browser, and they are heavy.
 */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    environment: "node",
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    // wrangler's first start bundles the Worker and the web client.
    hookTimeout: 180_000,
    testTimeout: 120_000,
  },
});
