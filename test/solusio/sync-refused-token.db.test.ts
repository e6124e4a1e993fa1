import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobRunner } from "../../src/app/runner.ts";
import type { JobRunner } from "../../src/jobs/job-runner.ts";
import { connectSolusio, type SolusioConnection } from "../../src/solusio/connect-solusio.ts";
import { integrate } from "../../src/solusio/integration.ts";
import {
  type SolusioHarness,
  solusioUsersCarrying,
  startSolusioHarness,
  waitForJobs,
} from "../helpers/solusio-harness.ts";

// SolusIO refusing tokenbill's API token (401: rotated in SolusIO before SOLUSIO_API_TOKEN was changed; 403:
// its user lost the Admin role) says nothing about the customer: once the operator fixes the token, every
// change made meanwhile must still reach SolusIO. A lock for non-payment marked `failed` for good would leave
// the customer's servers running until someone retried it by hand.

let h: SolusioHarness;
let refused: SolusioConnection;
let refusedRunner: JobRunner;

beforeAll(async () => {
  h = await startSolusioHarness();
  // The same tokenbill and SolusIO, with a token SolusIO does not accept (as after a rotation in SolusIO).
  refused = connectSolusio(h.db, pino({ level: "silent" }), {
    apiUrl: h.emulator.apiUrl,
    token: "rotated-away",
    tlsInsecure: false,
    timeoutMs: 5000,
  });
  refusedRunner = createJobRunner(h.db, h.config, pino({ level: "silent" }), integrate(refused, h.config), {
    backoffBaseMs: 20,
    backoffCapMs: 200,
    pollMs: 20,
  });
}, 60_000);
afterAll(async () => {
  await refusedRunner?.stop();
  await refused?.close();
  await h?.close();
});

describe("a sync while SolusIO refuses tokenbill's API token", () => {
  it("keeps the customer's lock pending with the reason, and delivers it once the token is accepted again", async () => {
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "token-rotated@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id = created.body.data.id;
    await h.runner.drain();
    expect((await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync.state).toBe("in_sync");

    await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "locked" });
    expect(await refusedRunner.runOnce()).toBe(1);
    const sync = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync;
    expect(sync.state).toBe("pending");
    expect(sync.error).toMatch(/^retrying after attempt 1: .*401/);
    const job = await h.db
      .selectFrom("job")
      .select(["status", "last_error"])
      .where("ordering_key", "=", `customer:${id}`)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(job.status).toBe("pending");
    expect(job.last_error).toMatch(/401/);

    // The operator sets the new token (here: the runner with the accepted one).
    h.runner.start();
    await waitForJobs(h.db);
    expect((await h.server.api("GET", `/api/v1/customers/${id}`)).body.data.sync).toMatchObject({
      state: "in_sync",
      error: null,
    });
    const [user] = await solusioUsersCarrying(h, Number(id));
    expect(user).toMatchObject({ email: "token-rotated@example.com", status: "locked" });
  });
});
