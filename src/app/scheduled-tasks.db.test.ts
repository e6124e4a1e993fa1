import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { billingContext } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { PermanentJobError, RetryLaterError } from "../jobs/job-runner.ts";
import { scheduledBillingHandler } from "./scheduled-tasks.ts";

// The scheduled billing job finds a run of its period in progress (another instance's, or one whose process
// was killed by a deploy): it looks again when that run would count as abandoned, not an hour later, and
// then takes over a run that has stopped reporting progress. Its own run, when its process stops, stops at
// the next batch and leaves the job to be taken up again at once.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const NOW = new Date("2026-11-01T02:00:00Z");
const ctx = () => billingContext(handle, { USAGE_SOURCE: "snapshots" }, NOW);
const job = { payload: { period: "2026-10" } } as Parameters<ReturnType<typeof scheduledBillingHandler>>[0];
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

describe("the scheduled billing job", () => {
  it("finding a run of its period in progress, tries again when the run would count as abandoned, then takes over the run that stopped", async () => {
    await handle.db
      .insertInto("billing_run")
      .values({
        id: "run_dead01",
        period: "2026-10",
        period_start: new Date("2026-10-01T00:00:00Z"),
        period_end: new Date("2026-11-01T00:00:00Z"),
        source: "snapshots",
        phase: "drafting",
        actor: "system:scheduler",
        started_at: minutesAgo(5),
        heartbeat_at: minutesAgo(4),
      })
      .execute();
    const deferred = await scheduledBillingHandler(ctx())(job).catch((error: unknown) => error);
    expect(deferred).toBeInstanceOf(RetryLaterError);
    // Its last progress 4 minutes ago: abandoned 6 minutes from now, looked at a second after that.
    expect((deferred as RetryLaterError).retryInMs).toBe(6 * 60_000 + 1_000);
    expect((deferred as RetryLaterError).message).toMatch(
      /^a billing run for 2026-10 is in progress; checking again at /,
    );

    // No progress since: by then it counts as abandoned, and this attempt bills the period.
    await handle.db
      .updateTable("billing_run")
      .set({ heartbeat_at: minutesAgo(10 + 1 / 60) })
      .where("id", "=", "run_dead01")
      .execute();
    const logged: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => logged.push(JSON.parse(line)) });
    await scheduledBillingHandler({ ...ctx(), logger })(job);
    const runs = await handle.db
      .selectFrom("billing_run")
      .select(["id", "state"])
      .orderBy("started_at")
      .execute();
    expect(runs).toEqual([
      { id: "run_dead01", state: "failed" },
      { id: expect.not.stringMatching(/^run_dead01$/), state: "completed" },
    ]);
    // Its start and its end are logged: before, only "scheduled billing run starting".
    expect(logged.map((l) => l["msg"])).toEqual([
      "scheduled billing run starting",
      "scheduled billing run done",
    ]);
    expect(logged[1]).toEqual(
      expect.objectContaining({
        period: "2026-10",
        run: runs[1]!.id,
        state: "completed",
        invoices: { created: 0, finalized: 0 },
        totals: [],
        anomalies: 1,
      }),
    );
  });

  it("stops a run it started when the process stops, and has its job taken up again at once", async () => {
    const stopping = new AbortController();
    stopping.abort();
    // A month later: November is due.
    const november = billingContext(handle, { USAGE_SOURCE: "snapshots" }, new Date("2026-12-01T02:00:00Z"));
    const interrupted = await scheduledBillingHandler({ ...november, signal: stopping.signal })({
      payload: { period: "2026-11" },
    } as typeof job).catch((error: unknown) => error);
    expect(interrupted).toBeInstanceOf(RetryLaterError);
    expect((interrupted as RetryLaterError).retryInMs).toBe(0);
    const run = await handle.db
      .selectFrom("billing_run")
      .select(["state", "error"])
      .where("period", "=", "2026-11")
      .executeTakeFirstOrThrow();
    expect(run).toEqual({
      state: "failed",
      error: "interrupted: the process was stopping; the next attempt resumes where this one stopped",
    });
  });

  it("does not run a job claimed for a period the billing start has since moved past", async () => {
    // October's slot was claimed; then the operator set BILLING_START_PERIOD to November.
    const moved = billingContext(handle, { USAGE_SOURCE: "snapshots", BILLING_START_PERIOD: "2026-11" }, NOW);
    const runsOfOctober = () =>
      handle.db.selectFrom("billing_run").select(["id", "state"]).where("period", "=", "2026-10").execute();
    const before = await runsOfOctober();
    const refused = await scheduledBillingHandler(moved)(job).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermanentJobError);
    expect((refused as Error).message).toBe(
      "period 2026-10 is before the billing start (2026-11); bill it with tokenbill billing run --period 2026-10",
    );
    expect(await runsOfOctober()).toEqual(before);
  });
});
