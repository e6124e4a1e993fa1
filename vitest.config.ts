import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { POLL } from "./test/helpers/wait-until.ts";

// Three projects: `db` holds every test that touches a database (files named *.db.test.ts), so CI can run
// exactly those again against PostgreSQL (`npm run test:pg`); `unit` holds the rest; `browser` holds the
// real-browser journeys (test/browser), which run once, on the embedded database: they test pages, and the
// pages' SQL is the verbs' SQL, which the `db` project already runs on both databases.
// One test file per core, at least two. Vitest's default leaves a core free (one worker on a two-core machine),
// but the suite mostly waits on something else (PostgreSQL, spawned processes, the browser), so a second
// worker on two cores cut the embedded suite from 987 to 676 s (2026-12-01, same machine, same hour). Timeouts
// are twice what one worker needed: a test that starts tokenbill (tsx, initdb, migrations) shares the cores.
const workers = Math.max(2, availableParallelism());
// expect.poll's own default gives up after 1 s, which a loaded CI run overshoots: every project polls as long
// as waitUntil waits (test/helpers/wait-until.ts). Set per project, since an inline project inherits no root
// `test` option; a call's own { timeout } still overrides it.
const expectPolls = { poll: POLL };

export default defineConfig({
  test: {
    maxWorkers: workers,
    // As many kept as started: with files sharing workers (below), tinypool's removal of an idle worker beyond
    // the minimum raced the removal between projects and failed the run with an unhandled "Terminating worker
    // thread" (every time with 3 workers and a minimum of 1, never with the minimum equal; 2026-12-01).
    minWorkers: workers,
    // A worker runs its files one after another in one module graph instead of loading every module again for
    // each file: module loading ("collect") was 91 of the embedded suite's 276 s (2026-12-01 15:15 UTC), 19 s
    // shared; the suites took 216 s and 92 s on PGlite and PostgreSQL against 276 s and 133 s isolated, the
    // same half hour. So a test file closes what it opens (servers, databases, runners), restores what it
    // changes (timers, spies, environment), reads no module-level state another file could have left, and
    // nothing process-wide may keep a closed server (docs/ARCHITECTURE.md, "Tests").
    isolate: false,
    // One migrated PGlite database dumped before the workers start; each test file's database loads it.
    globalSetup: ["test/helpers/test-database-template.ts"],
    projects: [
      {
        test: {
          name: "unit",
          expect: expectPolls,
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "emulator/**/*.test.ts", "bench/**/*.test.ts"],
          // Browser journeys run in their own project, once.
          exclude: ["**/*.db.test.ts", "test/browser/**", "**/node_modules/**"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "db",
          expect: expectPolls,
          include: ["src/**/*.db.test.ts", "test/**/*.db.test.ts"],
          exclude: ["test/browser/**", "**/node_modules/**"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "browser",
          expect: expectPolls,
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
