import { type Kysely, sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { databaseTraits } from "../db/database-traits.ts";
import { applyMigrations } from "../db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "../db/open-database.ts";
import type { Database } from "../db/schema.ts";
import { probeSchema } from "../db/testing/probe-schema.ts";
import { enqueueRawJob } from "./enqueue-job.ts";
import { type ClaimedJob, JobRunner } from "./job-runner.ts";
import { type JobWakeups, postgresWakeups, wakeupsFor } from "./job-wakeups.ts";
import { relayPostgres } from "../../test/helpers/tcp-proxy.ts";
import { WAIT_CEILING_MS, waitUntil } from "../../test/helpers/wait-until.ts";

// A job written while the runner is idle starts at once, not at its next poll. The poll interval here is an
// hour, far beyond the test's time limit: a job that waited for the poll would fail the test.

const HOUR = 3_600_000;
const logger = pino({ level: "silent" });
const url = process.env["DATABASE_URL"];
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

/** A runner that polls once an hour, and the payloads of the jobs it ran, in order. */
async function idleRunner(
  wakeups: JobWakeups = wakeupsFor(url, handle.db, logger),
): Promise<{ runner: JobRunner; ran: unknown[]; next(): Promise<unknown> }> {
  const ran: unknown[] = [];
  const waiting: ((payload: unknown) => void)[] = [];
  const runner = new JobRunner({
    db: handle.db,
    logger,
    pollMs: HOUR,
    wakeups,
    handlers: {
      "test.wake": async (job: ClaimedJob) => {
        ran.push(job.payload);
        waiting.shift()?.(job.payload);
      },
    },
  });
  await runner.start();
  // Once the first claim (which finds nothing) is over, the runner sits in its hour-long wait (until 2026-12-07
  // a 50 ms sleep hoped so: on a loaded machine that claim could still be on its way and take the job itself).
  await waitUntil("the runner's first claim to be over", () => runner.waiting);
  return { runner, ran, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

describe("job wake-ups", () => {
  it("starts a job enqueued while the runner is idle without waiting for the poll", async () => {
    const { runner, ran, next } = await idleRunner();
    try {
      const done = next();
      await enqueueRawJob(handle.db, { kind: "test.wake", payload: { n: 1 } });
      expect(await done).toEqual({ n: 1 });
      // Written inside a transaction: the runner is woken, and claims the job once it has committed.
      const second = next();
      await handle.db.transaction().execute(async (trx) => {
        await enqueueRawJob(trx, { kind: "test.wake", payload: { n: 2 } });
        await trx.selectFrom("job").select("id").execute();
      });
      expect(await second).toEqual({ n: 2 });
      expect(ran).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await runner.stop();
    }
  });

  it("does not run a job whose transaction rolled back", async () => {
    const { runner, ran, next } = await idleRunner();
    try {
      await handle.db
        .transaction()
        .execute(async (trx) => {
          await enqueueRawJob(trx, { kind: "test.wake", payload: { n: "rolled back" } });
          throw new Error("roll back");
        })
        .catch(() => {});
      const done = next();
      await enqueueRawJob(handle.db, { kind: "test.wake", payload: { n: 3 } });
      expect(await done).toEqual({ n: 3 });
      expect(ran).toEqual([{ n: 3 }]);
    } finally {
      await runner.stop();
    }
  });

  it.runIf(url)("wakes the runner of another instance on PostgreSQL (NOTIFY), not only its own", async () => {
    const { runner, next } = await idleRunner();
    // Another instance: its own pool on the same database and schema. (On PostgreSQL the runner listens
    // only to NOTIFY, never to this process's signal, so the tests above went through PostgreSQL as well.)
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
    const other = await openDatabase({ url: url!, schema: rows[0]!.schema, poolSize: 1 });
    try {
      const done = next();
      await other.db.transaction().execute(async (trx) => {
        await enqueueRawJob(trx, { kind: "test.wake", payload: { n: "other" } });
      });
      expect(await done).toEqual({ n: "other" });
    } finally {
      await other.close();
      await runner.stop();
    }
  });
});

// The listener's own connection goes through a relay the test can cut or silence; the runner's pool does not,
// so only the wake-ups are affected. The poll is an hour, so a job that ran was woken.
describe.runIf(url)("the job listener when its connection is lost (PostgreSQL)", () => {
  /** A runner woken only through a relayed listener, and the listener's log lines. */
  async function relayedRunner(tuning: { checkEveryMs?: number; answerWithinMs?: number }) {
    const { proxy, url: relayed } = await relayPostgres(url!);
    const lines: { level: number; msg: string }[] = [];
    const listenerLogger = pino(
      { level: "info" },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const { runner, ran, next } = await idleRunner(
      postgresWakeups({ url: relayed, db: handle.db, logger: listenerLogger, reconnectMs: 50, ...tuning }),
    );
    const logged = (pattern: RegExp) => lines.some((line) => pattern.test(line.msg));
    return {
      proxy,
      runner,
      ran,
      lines,
      next,
      /** Resolves once a line matching `pattern` was logged. */
      until: async (pattern: RegExp) => {
        while (!logged(pattern)) await new Promise((r) => setTimeout(r, 20));
      },
      stop: async () => {
        await runner.stop();
        await proxy.close();
      },
    };
  }

  it("reconnects after the connection drops, and wakes the runner for a job written meanwhile", async () => {
    const r = await relayedRunner({});
    try {
      r.proxy.cut();
      await r.until(/job listener lost its connection/);
      await enqueueRawJob(handle.db, { kind: "test.wake", payload: { n: "while cut" } });
      const meanwhile = r.next();
      r.proxy.restore();
      expect(await meanwhile).toEqual({ n: "while cut" });
      await r.until(/job listener reconnected/);
      // LISTEN works again: a job written now wakes the runner by NOTIFY.
      const after = r.next();
      await enqueueRawJob(handle.db, { kind: "test.wake", payload: { n: "after" } });
      expect(await after).toEqual({ n: "after" });
      expect(r.ran).toEqual([{ n: "while cut" }, { n: "after" }]);
    } finally {
      await r.stop();
    }
  }, 20_000);

  it("notices a connection that fell silent (no reset, no answer) and reconnects once the network is back", async () => {
    const r = await relayedRunner({ checkEveryMs: 100, answerWithinMs: 300 });
    try {
      r.proxy.stall();
      // Nothing arrives on a silent connection to say it is gone: only the listener's own check finds out.
      await r.until(/job listener lost its connection/);
      const lost = r.lines.find((line) => /lost its connection/.test(line.msg)) as {
        err?: { message: string };
      };
      expect(lost.err?.message).toMatch(/no answer within 300 ms/);
      await enqueueRawJob(handle.db, { kind: "test.wake", payload: { n: "while silent" } });
      const meanwhile = r.next();
      r.proxy.restore();
      expect(await meanwhile).toEqual({ n: "while silent" });
      const after = r.next();
      await enqueueRawJob(handle.db, { kind: "test.wake", payload: { n: "after" } });
      expect(await after).toEqual({ n: "after" });
    } finally {
      await r.stop();
    }
  }, 20_000);
});

// DATABASE_LISTEN_URL (docs/operations.md): the listener may reach the database another way than the pool. It
// checks that it hears a notice sent through the pool, and says so when it does not: a listener behind a
// pooler in transaction mode, or one on another database, would leave every job to the runner's poll.
describe.runIf(url)("a job listener that checks it hears the pool (PostgreSQL)", () => {
  /**
   * What a listener on `listenUrl` logs until its check has told whether it hears the pool (until 2026-12-07:
   * in its first 600 ms, with a 300 ms probe, which a loaded machine's round trip could outlast).
   */
  async function listenerLines(
    listenUrl: string,
    probeWithinMs: number,
  ): Promise<{ level: number; msg: string }[]> {
    const lines: { level: number; msg: string }[] = [];
    const listenerLogger = pino(
      { level: "debug" },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const wakeups = postgresWakeups({ url: listenUrl, db: handle.db, logger: listenerLogger, probeWithinMs });
    const unsubscribe = await wakeups.subscribe(() => {});
    try {
      await waitUntil("the listener to tell whether it hears the pool", () =>
        lines.some((line) => /(hears|does not hear) notices sent through the database pool/.test(line.msg)),
      );
    } finally {
      await unsubscribe();
    }
    return lines;
  }

  it("warns when it does not hear a notice sent through the pool (another database), and not when it does", async () => {
    const elsewhere = new URL(url!);
    elsewhere.pathname = "/postgres";
    expect(await listenerLines(elsewhere.toString(), 300)).toEqual([
      expect.objectContaining({
        level: 40,
        waitedMs: 300,
        msg: expect.stringMatching(
          /^the job listener does not hear notices sent through the database pool, so jobs wait for the runner's poll: behind a pooler in transaction mode, set DATABASE_LISTEN_URL/,
        ),
      }),
    ]);
    // Another way to the same database (a relay stands for DATABASE_LISTEN_URL): heard, no warning. Its probe
    // may take as long as any wait here, so only a listener that does not hear it could warn.
    const { proxy, url: relayed } = await relayPostgres(url!);
    try {
      expect(await listenerLines(relayed, WAIT_CEILING_MS)).toEqual([
        expect.objectContaining({
          level: 20,
          msg: "the job listener hears notices sent through the database pool",
        }),
      ]);
    } finally {
      await proxy.close();
    }
  });
});

// A migration committed by another process (`tokenbill migrate` while instances run) NOTIFYs its schema; the
// listener hears it and the pool names its statements afresh at once (named-statements.ts), so a transaction
// after it prepares against the new columns instead of failing once as the first to meet them.
describe.runIf(url)("the job listener and a migration by another process (PostgreSQL)", () => {
  const { open } = probeSchema(url!, [[1, "one"]]);

  it("starts a new generation of statement names when the migration commits; the next transaction works", async () => {
    const pool = await open(true);
    const read = (db: Kysely<Database>) =>
      sql<Record<string, unknown>>`SELECT * FROM probe WHERE id = ${1}`.execute(db);
    expect((await pool.db.transaction().execute(read)).rows).toEqual([{ id: 1, a: "one" }]);
    const unsubscribe = await wakeupsFor(url, pool.db, logger).subscribe(() => {});
    try {
      const other = await open(false);
      const applied = await applyMigrations(other.db, {
        "001-probe-column": {
          up: async (db) => {
            await sql`ALTER TABLE probe ADD COLUMN e int DEFAULT 5`.execute(db);
          },
        },
      });
      expect(applied).toEqual(["001-probe-column"]);
      await expect.poll(() => databaseTraits(pool.db).namedStatements?.generation).toBe(1);
      expect((await pool.db.transaction().execute(read)).rows).toEqual([{ id: 1, a: "one", e: 5 }]);
    } finally {
      await unsubscribe();
    }
  });
});
