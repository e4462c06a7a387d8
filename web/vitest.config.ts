import { defineConfig } from "vitest/config";

/** Unit tests of the client's pure logic and stores (node, with small DOM stand-ins). */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    environment: "node",
  },
});
