import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { RetryLaterError } from "../../jobs/job-runner.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { createDunCustomer, issueInvoice } from "./dunning-fixtures.ts";
import { dunningScheduledHandler } from "./dunning-jobs.ts";
import { DunningInterrupted, evaluateAllDunning, runDunning, stepList } from "./run-dunning.ts";

// A dunning round over many customers (billing-rules §8): several evaluated at once, their steps reported in
// customer order, and a round that stops between pages when the process stops. A database for each test: a
// round evaluates every customer in it.

let handle: DatabaseHandle;
beforeEach(async () => {
  handle = await createTestDatabase();
});
afterEach(async () => handle?.close());

const AS_OF = new Date("2026-11-21T00:00:00Z"); // invoices due 11-15: reminder and first overdue are due
const context = (signal?: AbortSignal): ServiceContext => ({
  db: handle.db,
  config: parseConfig({ LOG_LEVEL: "silent" }),
  logger: pino({ level: "silent" }),
  actor: actors.system("test"),
  now: () => AS_OF,
  signal,
});

/** `n` customers with an invoice due 2026-11-15 (unpaid), in id order. */
async function overdueCustomers(label: string, n: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const id = await createDunCustomer(handle.db, { email: `${label}-${i}@example.com` });
    await issueInvoice(handle.db, { customerId: id, total: 500n, dueDate: "2026-11-15" });
    ids.push(id);
  }
  return ids;
}

const stepsOf = async (ids: bigint[]) =>
  (
    await handle.db
      .selectFrom("dunning_step as s")
      .innerJoin("dunning_episode as e", "e.id", "s.episode_id")
      .select("e.customer_id")
      .where("e.customer_id", "in", ids)
      .execute()
  ).map((r) => r.customer_id);

describe("a dunning round over many customers", () => {
  it("reports every customer's steps in customer order, page after page", async () => {
    const ids = await overdueCustomers("ordered", 7);
    const seen: bigint[] = [];
    const totals = await evaluateAllDunning(
      context(),
      AS_OF,
      (actions) => seen.push(...new Set(actions.map((a) => a.customer_id))),
      { pageSize: 3 },
    );
    expect(seen).toEqual(ids);
    expect(totals).toEqual({ customers: 7, steps: 14 });
  });

  it("stops before its next page once the process is stopping; a new round takes the rest", async () => {
    const ids = await overdueCustomers("stopped", 5);
    const stopping = new AbortController();
    await expect(
      evaluateAllDunning(context(stopping.signal), AS_OF, () => stopping.abort(), { pageSize: 2 }),
    ).rejects.toBeInstanceOf(DunningInterrupted);
    // The first page, and nothing after it.
    expect(new Set(await stepsOf(ids))).toEqual(new Set(ids.slice(0, 2)));

    const totals = await evaluateAllDunning(context(), AS_OF, () => {}, { pageSize: 2 });
    expect(totals).toEqual({ customers: 5, steps: 6 });
    expect(new Set(await stepsOf(ids))).toEqual(new Set(ids));
  });

  it("asks for the scheduled round to be taken up again at once, and answers a run through the API with a 503, when stopping", async () => {
    const stopped = new AbortController();
    stopped.abort();
    const handler = dunningScheduledHandler(context(stopped.signal));
    const deferred = await handler({
      id: 1n,
      kind: "dunning.scheduled_run",
      orderingKey: null,
      payload: {},
      attempts: 1,
    })
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(deferred).toBeInstanceOf(RetryLaterError);
    expect((deferred as RetryLaterError).retryInMs).toBe(0);

    const refused = await runDunning({ ctx: context(stopped.signal), input: {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServiceError);
    expect((refused as ServiceError).code).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("answers a run with every step counted and the steps listed in customer order", async () => {
    const ids = await overdueCustomers("listed", 3);
    const run = await runDunning({ ctx: context(), input: {} });
    expect(run.customers_evaluated).toBe(3);
    expect(run.steps_total).toBe(6);
    expect(run.steps.map((s) => s.customer_id)).toEqual(ids.flatMap((id) => [id, id]));
  });

  it("lists no more steps than its limit, and counts them all", () => {
    const list = stepList(3);
    const step = (customer: number, name: string) => ({
      customer_id: BigInt(customer),
      episode_id: BigInt(customer),
      step: name,
      days: 1,
      done_at: AS_OF,
      details: {},
    });
    list.add([step(1, "reminder"), step(1, "first_overdue")]);
    list.add([step(2, "reminder"), step(2, "first_overdue")]);
    list.add([step(3, "reminder")]);
    expect(list.listed.map((s) => `${s.customer_id} ${s.step}`)).toEqual([
      "1 reminder",
      "1 first_overdue",
      "2 reminder",
    ]);
    expect(list.taken()).toBe(5);
  });

  // PostgreSQL only: the row is held from another connection, which the embedded database's one connection
  // cannot show.
  it.skipIf(!process.env["DATABASE_URL"])(
    "evaluates several customers at once: one whose row another transaction holds does not hold up the rest",
    async () => {
      const ids = await overdueCustomers("held", 6);
      const [held, ...rest] = ids;
      let round: Promise<unknown> | undefined;
      await handle.db.transaction().execute(async (trx) => {
        await trx.selectFrom("customer").select("id").where("id", "=", held!).forUpdate().execute();
        round = evaluateAllDunning(context(), AS_OF);
        // One at a time, the round would wait on the held customer, the first, and evaluate nobody.
        await expect.poll(async () => new Set(await stepsOf(rest)).size).toBe(rest.length);
        expect(await stepsOf([held!])).toEqual([]);
      });
      await round;
      expect(new Set(await stepsOf(ids))).toEqual(new Set(ids));
    },
  );
});
