import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMigratedDatabase } from "../../src/app/database.ts";
import { loadConfig } from "../../src/config.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { type ClaimedJob, JobRunner } from "../../src/jobs/job-runner.ts";
import { localWakeups } from "../../src/jobs/job-wakeups.ts";
import { waitUntil } from "../helpers/wait-until.ts";

// On the embedded database a command reaches serve's PGlite through its socket, in a process of its own, so
// its enqueue's in-process signal wakes nobody. serve's session LISTENs on the jobs channel and reads the
// command's NOTIFY out of the socket's output (notification-scanner.ts): its runner, which here polls once an
// hour, must still run the command's job at once.

const HOUR = 3_600_000;
const run = promisify(execFile);
const logger = pino({ level: "silent" });
const root = join(import.meta.dirname, "..", "..");
let dir: string;
let handle: DatabaseHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tb-wake-"));
  const config = loadConfig({ DATA_DIR: join(dir, "data") }, dir);
  handle = await openMigratedDatabase(config, logger, true);
}, 60_000);
afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a command does: opens DATA_DIR (so connects to serve's socket) and enqueues in a transaction. */
const command = `
  import { openDatabase } from ${JSON.stringify(join(root, "src/db/open-database.ts"))};
  import { enqueue } from ${JSON.stringify(join(root, "src/jobs/enqueue-job.ts"))};
  const handle = await openDatabase({ dataDir: process.argv[1] });
  if (handle.sharedBy === undefined) throw new Error("not through serve's socket");
  await handle.db.transaction().execute((tx) => enqueue(tx, "dunning.evaluate", { customer_id: "7" }));
  await handle.close();
`;

describe("a job a command writes while serve runs on the embedded database", () => {
  it("wakes serve's idle runner, which runs it before any poll", async () => {
    const ran: ClaimedJob[] = [];
    let done: (() => void) | undefined;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const runner = new JobRunner({
      db: handle.db,
      logger,
      pollMs: HOUR,
      wakeups: localWakeups,
      handlers: {
        "dunning.evaluate": async (job) => {
          ran.push(job);
          done!();
        },
      },
    });
    await runner.start();
    try {
      // Once the first claim (which finds nothing) is over, the runner sits in its hour-long wait (until
      // 2026-12-07 a 50 ms sleep hoped so: under load that claim could still be on its way, and take the jobs).
      await waitUntil("the runner's first claim to be over", () => runner.waiting);
      await run(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", command, join(dir, "data")],
        {
          cwd: root,
        },
      );
      await finished;
      expect(ran.map((job) => job.payload)).toEqual([{ customer_id: "7" }]);
    } finally {
      await runner.stop();
    }
  }, 30_000);
});
