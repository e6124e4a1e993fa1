import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { type IdempotencyRequest, IdempotentReplay, requestHash } from "../../kernel/idempotency.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";

// The key's row as the verbs use it: claimed as the first write of the verb's transaction, answered in it,
// gone with it when it rolls back; a second claim is given the answer, refused for another request or while
// the first is in flight, and on PostgreSQL waits for a first that has not committed yet.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

const ctx = (): ServiceContext => ({
  db: handle.db,
  config: parseConfig({ LOG_LEVEL: "silent" }),
  logger: pino({ level: "silent" }),
  actor: actors.adminKey("key_test", "admin"),
  now: () => new Date("2026-12-01T10:00:00Z"),
});

const keyed = (key: string, body: unknown = { amount: 1n }): IdempotencyRequest => ({
  scope: "apikey:key_test",
  key,
  requestHash: requestHash("POST", "/api/v1/payments/{id}/refunds", { id: "pay_1" }, body),
  successStatus: 201,
  errorAnswer: () => ({ status: 409, body: "{}" }),
});

/** Claims, runs `work`, answers `data`: what a verb does with its key. */
const verb = (request: IdempotencyRequest, data: unknown, work = async () => {}) =>
  withTransaction(ctx(), async (tx) => {
    await claimIdempotencyKey(tx, request);
    await work();
    await answerIdempotencyKey(tx, request, data);
    return data;
  });

/** Whether a session waits for a lock in an INSERT into idempotency_key. */
async function waitingOnKey(): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND query ILIKE 'insert into "idempotency_key"%'`.execute(handle.db);
  return rows[0]!.n > 0;
}

const replayOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdempotentReplay);
  return (error as IdempotentReplay).answer;
};

it("answers a second claim with the stored answer; another request under the key is a conflict", async () => {
  expect(await verb(keyed("k1"), { id: "ref_1", amount: 1n })).toEqual({ id: "ref_1", amount: 1n });
  expect(await replayOf(verb(keyed("k1"), { id: "ref_2" }))).toEqual({
    status: 201,
    body: '{"data":{"id":"ref_1","amount":1}}',
  });
  await expect(verb(keyed("k1", { amount: 2n }), {})).rejects.toMatchObject({
    code: "CONFLICT",
    issues: [{ field: "header.idempotency-key", message: expect.stringContaining("different request") }],
  });
});

it("leaves no key when the verb's work fails, and refuses a key whose first request is in flight", async () => {
  await expect(
    verb(keyed("k2"), {}, async () => {
      throw new Error("the verb failed");
    }),
  ).rejects.toThrow("the verb failed");
  expect(await verb(keyed("k2"), { ok: true })).toEqual({ ok: true });
  // Claimed and committed without an answer: a refund whose provider has not answered yet.
  await withTransaction(ctx(), (tx) => claimIdempotencyKey(tx, keyed("k3")));
  await expect(verb(keyed("k3"), {})).rejects.toMatchObject({
    code: "CONFLICT",
    message: expect.stringContaining("still being processed"),
  });
});

it("makes a second claim wait for a first that has not committed, then replay it (PostgreSQL)", async () => {
  // PGlite runs one transaction at a time: there the second cannot start before the first ends.
  if (handle.kind !== "postgres") return;
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let claimed!: () => void;
  const firstClaimed = new Promise<void>((resolve) => {
    claimed = resolve;
  });
  const first = verb(keyed("k4"), { id: "first" }, async () => {
    claimed();
    await held;
  });
  await firstClaimed;
  let secondDone = false;
  const second = replayOf(verb(keyed("k4"), { id: "second" })).finally(() => {
    secondDone = true;
  });
  // The second waits on the key's row (PostgreSQL says so) while the first holds its transaction.
  while (!(await waitingOnKey())) await new Promise((resolve) => setImmediate(resolve));
  expect(secondDone).toBe(false);
  release();
  expect(await first).toEqual({ id: "first" });
  expect(await second).toEqual({ status: 201, body: '{"data":{"id":"first"}}' });
});
