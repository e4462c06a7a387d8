import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/db/schema.ts",
  out: "./migrations",
  // drizzle-kit 0.31 writes flat files (0000_name.sql), which `wrangler d1 migrations apply` reads.
  breakpoints: true,
});
