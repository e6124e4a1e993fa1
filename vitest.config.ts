import { defineConfig } from "vitest/config";

// Two projects: `db` holds every test that touches a database (files named *.db.test.ts), so CI can run
// exactly those again against PostgreSQL (`npm run test:pg`); `unit` holds the rest.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "emulator/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.db.test.ts", "**/node_modules/**"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "db",
          include: ["src/**/*.db.test.ts", "test/**/*.db.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
