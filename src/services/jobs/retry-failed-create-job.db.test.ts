import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AnswerHoldingRelay,
  startAnswerHoldingRelay,
  customerWhoseUserAnswerIsHeld,
} from "../../../test/helpers/answer-holding-relay.ts";
import {
  type SolusioHarness,
  solusioUsersCarrying,
  startSolusioHarness,
} from "../../../test/helpers/solusio-harness.ts";
import { createJobRunner } from "../../app/runner.ts";
import { connectSolusio } from "../../solusio/connect-solusio.ts";
import { integrate } from "../../solusio/integration.ts";

// A retry by hand queues a failed job in place with its attempts anew (retry-failed-job.ts), so a customer's
// creation sync job, retried, runs as attempt 1 again: the attempt that creates without looking first
// (sync-customer.ts, firstCreate). Here that job's first POST users was carried out by SolusIO while its
// answer never came back (the instance stopped), the customer's e-mail was edited to one another SolusIO user
// had, and the job then failed for good (SolusIO refused the e-mail), its edit's job the same way. Retried once
// that is settled, the creation job must find the user it made, not post the new e-mail as a second user.

let h: SolusioHarness;
let relay: AnswerHoldingRelay;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_LIMIT_GROUPS: "[]", SOLUSIO_DEFAULT_LIMIT_GROUP: "" });
  relay = await startAnswerHoldingRelay(h.emulator.apiUrl);
});
afterAll(async () => {
  await relay?.close();
  await h?.close();
});

/** Every emulator user carrying this billing_user_id. */
/** A runner reaching SolusIO at `apiUrl` with `token`, as another instance of tokenbill would. */
function runnerVia(apiUrl: string, token: string) {
  const connection = connectSolusio(h.db, logger, { apiUrl, token, tlsInsecure: false, timeoutMs: 60_000 });
  const runner = createJobRunner(h.db, h.config, logger, integrate(connection, h.config), {
    backoffBaseMs: 20,
    backoffCapMs: 200,
    pollMs: 20,
  })!;
  return { connection, runner };
}

async function jobsOf(customerId: number) {
  return h.db
    .selectFrom("job")
    .select(["id", "status", "attempts", "payload", "last_error"])
    .where("ordering_key", "=", `customer:${customerId}`)
    .orderBy("id")
    .execute();
}

describe("a creation sync job retried by hand after its POST users landed and the job failed for good", () => {
  it("takes the user its lost attempt created: one SolusIO user, with the e-mail edited since", async () => {
    // Attempt 1 posts the user through the relay, which keeps SolusIO's answer; the instance stops.
    const a = runnerVia(relay.apiUrl, h.emulator.adminToken);
    const id = await customerWhoseUserAnswerIsHeld(
      relay,
      h.server,
      () => a.runner.start(),
      "retried-before@example.com",
    );
    await a.runner.stop({ giveBackAfter: Promise.resolve() });
    await a.connection.close();
    expect(await solusioUsersCarrying(h, id)).toHaveLength(1);

    // The e-mail changes to one another SolusIO user has, and both jobs fail for good: SolusIO refuses it
    // (a 4xx about the customer; a refused token is retried, not failed: sync-refused-token.db.test.ts).
    const other = await h.emu("POST", "/api/v1/users", {
      email: "retried-after@example.com",
      password: "another-users-password",
    });
    expect(other.status).toBe(201);
    const edited = await h.server.api("PATCH", `/api/v1/customers/${id}`, {
      email: "retried-after@example.com",
    });
    expect(edited.status).toBe(200);
    const refused = runnerVia(h.emulator.apiUrl, h.emulator.adminToken);
    await refused.runner.drain();
    await refused.connection.close();
    const [creation, edit] = await jobsOf(id);
    const taken = expect.stringContaining("422 The email has already been taken");
    expect(creation).toMatchObject({ status: "failed", payload: { created: true }, last_error: taken });
    expect(edit).toMatchObject({ status: "failed", last_error: taken });

    // The other user is gone (staff settled it in SolusIO): staff retry the creation job, then the edit's.
    expect((await h.emu("DELETE", `/api/v1/users/${other.body.data.id}`)).status).toBeLessThan(300);
    for (const job of [creation!, edit!]) {
      const retried = await h.server.api("POST", `/api/v1/jobs/${job.id}/retry`);
      expect(retried.status).toBe(204);
      await h.runner.drain();
    }

    const users = await solusioUsersCarrying(h, id);
    expect(users).toEqual([expect.objectContaining({ email: "retried-after@example.com" })]);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toMatchObject({ state: "in_sync", error: null, solusio_user_id: users[0]!.id });
    // The retry ran as attempt 1 of a creation job: only the customer's note kept it from creating blind.
    expect((await jobsOf(id)).map((j) => [j.status, j.attempts])).toEqual([
      ["done", 1],
      ["done", 1],
    ]);
  });
});
