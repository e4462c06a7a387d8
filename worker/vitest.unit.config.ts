import { defineConfig } from "vitest/config";

/**
 * The room's pure logic and its store, in Node (the store's SQL on node:sqlite): fast,
 * no workerd. What only the runtime can show is in worker/test/ (vitest.config.ts there).
 */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["room/**/*.test.ts"],
    environment: "node",
  },
});
