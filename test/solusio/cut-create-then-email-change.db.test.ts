import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobRunner } from "../../src/app/runner.ts";
import { syncCustomerHandler } from "../../src/services/sync/sync-customer.ts";
import { connectSolusio } from "../../src/solusio/connect-solusio.ts";
import { integrate } from "../../src/solusio/integration.ts";
import {
  type AnswerHoldingRelay,
  customerWhoseUserAnswerIsHeld,
  startAnswerHoldingRelay,
} from "../helpers/answer-holding-relay.ts";
import {
  type SolusioHarness,
  solusioUsersCarrying,
  startSolusioHarness,
} from "../helpers/solusio-harness.ts";

// A new customer's sync job creates its SolusIO user without looking first on attempt 1 only
// (sync-customer.ts, firstCreate). Here its POST users is carried out by SolusIO while the answer is still on
// its way, the instance stops and its grace ends (the job is cut and given back), the customer's e-mail
// changes, and another instance runs the job again. The give-back keeps the cut attempt (claim-jobs.ts,
// releaseClaims), so the next run is attempt 2 and looks by billing_user_id: one user. Had it been given back
// as never started, the next run would be attempt 1 again and post the new e-mail: a second user.

let h: SolusioHarness;
let relay: AnswerHoldingRelay;

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_LIMIT_GROUPS: "[]", SOLUSIO_DEFAULT_LIMIT_GROUP: "" });
  relay = await startAnswerHoldingRelay(h.emulator.apiUrl);
});
afterAll(async () => {
  await relay?.close();
  await h?.close();
});

/** Every emulator user carrying this billing_user_id. */
/** Instance A's SolusIO: through the relay, which can keep an answer from it. */
function solusioThroughRelay(logger: pino.Logger) {
  return connectSolusio(h.db, logger, {
    apiUrl: relay.apiUrl,
    token: h.emulator.adminToken,
    tlsInsecure: false,
    timeoutMs: 60_000,
  });
}

describe("a creation sync job cut after its POST users landed, then the e-mail changes", () => {
  it("ends, run again by another instance, with one SolusIO user carrying the new e-mail", async () => {
    // Instance A reaches SolusIO through the relay, which keeps POST users' answer from it.
    const logger = pino({ level: "silent" });
    const viaRelay = solusioThroughRelay(logger);
    const a = createJobRunner(h.db, h.config, logger, integrate(viaRelay, h.config), { pollMs: 20 });
    const id = await customerWhoseUserAnswerIsHeld(
      relay,
      h.server,
      () => a.start(),
      "cut-before@example.com",
    );
    expect(await solusioUsersCarrying(h, id)).toEqual([
      expect.objectContaining({ email: "cut-before@example.com" }),
    ]);

    // A stops and its grace is over at once: the job is cut and given back, its attempt kept.
    await a.stop({ giveBackAfter: Promise.resolve() });
    const [job] = await h.db
      .selectFrom("job")
      .select(["status", "attempts", "locked_by"])
      .where("ordering_key", "=", `customer:${id}`)
      .execute();
    // serve's order: SolusIO's connections close after the runners.
    await viaRelay.close();

    const edited = await h.server.api("PATCH", `/api/v1/customers/${id}`, { email: "cut-after@example.com" });
    expect(edited.status).toBe(200);
    // Instance B (the harness's runner, straight to the emulator) runs the cut job, then the edit's.
    await h.runner.drain();

    const users = await solusioUsersCarrying(h, id);
    expect(users).toEqual([expect.objectContaining({ email: "cut-after@example.com", billing_user_id: id })]);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toMatchObject({ state: "in_sync", error: null, solusio_user_id: users[0]!.id });
    // Why: the cut job was given back with its attempt kept.
    expect(job).toEqual({ status: "pending", attempts: 1, locked_by: null });
  });
});

describe("the cut attempt of that job, ending after the job's next run", () => {
  it("stops at the cut and writes nothing over what the next run left (in_sync, no error)", async () => {
    const logger = pino({ level: "silent" });
    const viaRelay = solusioThroughRelay(logger);
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "stale-before@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id: number = created.body.data.id;
    const job = await h.db
      .selectFrom("job")
      .select(["id", "payload"])
      .where("ordering_key", "=", `customer:${id}`)
      .executeTakeFirstOrThrow();
    // Instance A's attempt 1, as its runner runs it, with its POST users' answer held by the relay.
    const landed = relay.holdAnswerOf("POST", "/users");
    const attempt = new AbortController();
    const stale = syncCustomerHandler({
      db: h.db,
      api: viaRelay.api,
      logger,
      limitGroupId: integrate(viaRelay, h.config).limitGroupId,
    })(
      {
        id: job.id,
        kind: "solusio.sync_customer",
        orderingKey: `customer:${id}`,
        payload: job.payload as { customerId: string; created: true },
        attempts: 1,
      },
      { signal: attempt.signal },
    ).then(
      () => "ended",
      () => "failed",
    );
    expect(await landed).toEqual({ status: 201 });
    // A's stop: the grace ends (the attempt's signal is aborted) and the job is given back, its attempt kept.
    attempt.abort();
    await h.db.updateTable("job").set({ attempts: 1 }).where("id", "=", job.id).execute();

    await h.server.api("PATCH", `/api/v1/customers/${id}`, { email: "stale-after@example.com" });
    await h.runner.drain();
    const synced = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync;
    expect(synced).toMatchObject({ state: "in_sync", error: null });

    // A's SolusIO connection closes (serve's order), which ends whatever A's attempt still waited on.
    await viaRelay.close();
    expect(await stale).toBe("failed");
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toEqual(synced);
    expect(await solusioUsersCarrying(h, id)).toEqual([
      expect.objectContaining({ email: "stale-after@example.com" }),
    ]);
  });
});
