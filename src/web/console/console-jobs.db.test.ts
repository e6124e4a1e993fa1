import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SolusioHarness, startSolusioHarness } from "../../../test/helpers/solusio-harness.ts";
import { TEST_ADMIN_KEY } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { parseExposition, samplesOf } from "../../metrics/testing-exposition.ts";
import { actors } from "../../kernel/actor.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "./customer-test-client.ts";

// Jobs that failed for good, over real HTTP against the SolusIO emulator: a deleted customer's SolusIO user
// that got a server before its deletion job ran (SolusIO refuses, the job fails permanently) is listed with
// its error, counted by tokenbill_jobs_failed, and retried once the server is gone. The runner is driven by
// hand (drain), so each job runs exactly when the test says.

const PASSWORD = "console jobs password";
let h: SolusioHarness;
let owner: ConsoleClient;
let support: ConsoleClient;

beforeAll(async () => {
  h = await startSolusioHarness();
  const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  await createStaffUser({
    ctx,
    input: { email: "support@example.com", role: "support", password: PASSWORD },
  });
  owner = await ConsoleClient.logIn(h.server.url, "owner@example.com", PASSWORD);
  support = await ConsoleClient.logIn(h.server.url, "support@example.com", PASSWORD);
}, 60_000);
afterAll(async () => h?.close());

async function failedJobsGauge(kind: string): Promise<number[]> {
  const answer = await fetch(`${h.server.url}/metrics`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
  return samplesOf(parseExposition(await answer.text()), "tokenbill_jobs_failed", { kind }).map(
    (s) => s.value,
  );
}

async function jobStatus(id: number) {
  return (
    await h.db.selectFrom("job").select("status").where("id", "=", BigInt(id)).executeTakeFirstOrThrow()
  ).status;
}

/** The rows of the failed-jobs table: [kind, subject, attempts, last error]. */
function rowsOf(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
      cell[1]!.replace(/<[^>]+>/g, "").trim(),
    ),
  );
}

describe("failed jobs", () => {
  let jobId: number;

  it("lists a deletion SolusIO refused, with its subject and error, and counts it in the metrics", async () => {
    expect(await failedJobsGauge("solusio.sync_customer")).toEqual([0]);
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "late-server@example.com",
      country: "DE",
      currency: "EUR",
    });
    const customerId = created.body.data.id;
    await h.runner.drain();
    const userId = (await h.server.api("GET", `/api/v1/customers/${customerId}`)).body.data.sync
      .solusio_user_id;
    expect(userId).toBeTypeOf("number");
    expect((await h.server.api("DELETE", `/api/v1/customers/${customerId}`)).status).toBe(204);
    // A server made in SolusIO after the delete's check and before its job ran: SolusIO refuses the delete.
    const plan = (
      await h.emu("POST", "/api/v1/plans", { name: "p", tokens_per_hour: 7, tokens_per_month: 5000 })
    ).body.data;
    const location = (await h.emu("GET", "/api/v1/locations")).body.data[0];
    const server = await h.emu("POST", "/api/v1/servers", {
      name: "late",
      plan: plan.id,
      location: location.id,
      os: 1,
      password: "pw-123456",
      user: userId,
    });
    expect(server.status).toBe(201);
    await h.runner.drain();

    const page = await owner.get("/console/jobs");
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/console/jobs" aria-current="page"');
    const [row, ...more] = rowsOf(page.text);
    expect(more).toEqual([]);
    expect(row?.[1]).toBe("solusio.sync_customer");
    expect(row?.[2]).toBe(
      `customer:${customerId} (deleted; SolusIO user ${userId}, late-server@example.com)`,
    );
    expect(row?.[3]).toBe("1");
    expect(row?.[4]).toMatch(/server/i);
    expect(await failedJobsGauge("solusio.sync_customer")).toEqual([1]);

    const api = await h.server.api("GET", "/api/v1/jobs/failed");
    expect(api.status).toBe(200);
    expect(api.body.meta.total).toBe(1);
    jobId = api.body.data[0].id;
    expect(api.body.data[0]).toMatchObject({ kind: "solusio.sync_customer", attempts: 1 });

    // Support may look, not retry: no Action column (until 2026-12-06 an empty one), and the server refuses.
    const looked = await support.get("/console/jobs");
    expect(looked.status).toBe(200);
    expect(looked.text).toContain('<table id="jobs">');
    expect(looked.text).not.toContain(">Action</th>");
    expect((await support.submit("/console/jobs", `/console/jobs/${jobId}/retry`)).status).toBe(403);
    expect(await jobStatus(jobId)).toBe("failed");

    // Once the server is gone, a retry deletes the user.
    await h.emu("DELETE", `/api/v1/servers/${server.body.data.id}`);
    const retried = await owner.submit("/console/jobs", `/console/jobs/${jobId}/retry`);
    expect(retried).toMatchObject({ status: 303, location: "/console/jobs?notice=retried" });
    expect(await jobStatus(jobId)).toBe("pending");
    await h.runner.drain();
    expect(await jobStatus(jobId)).toBe("done");
    expect((await h.emu("GET", `/api/v1/users/${userId}`)).status).toBe(404);
    const after = await owner.get("/console/jobs?notice=retried");
    expect(after.text).toContain("No job has failed.");
    expect(after.text).toContain("The job is queued again");
    expect(await failedJobsGauge("solusio.sync_customer")).toEqual([0]);
    const audit = await h.db
      .selectFrom("audit_log")
      .select(["action", "actor"])
      .where("entity", "=", "job")
      .where("entity_id", "=", String(jobId))
      .execute();
    expect(audit).toEqual([{ action: "job.update", actor: expect.stringMatching(/^staff:/) }]);
  });

  it("refuses to retry a job that is not failed, or one a later job of its subject waits behind", async () => {
    const notFailed = await owner.submit("/console/jobs", `/console/jobs/${jobId}/retry`);
    expect(notFailed.status).toBe(409);
    expect(textOf(notFailed.text.replace('class="alert" role="alert"', 'id="alert"'), "alert")).toBe(
      `Job ${jobId} is done, not failed: there is nothing to retry.`,
    );
    expect((await h.server.api("POST", "/api/v1/jobs/999999/retry")).status).toBe(404);
    expect((await owner.submit("/console/jobs", "/console/jobs/abc/retry")).status).toBe(400);

    const [failed, later] = await h.db
      .insertInto("job")
      .values([
        { kind: "invoice.email", ordering_key: "invoice:inv_x", payload: "{}", status: "failed" },
        {
          kind: "invoice.email",
          ordering_key: "invoice:inv_x",
          payload: "{}",
          run_after: new Date(Date.now() + 3_600_000),
        },
      ])
      .returning("id")
      .execute();
    const refused = await h.server.api("POST", `/api/v1/jobs/${failed!.id}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(
      `job ${later!.id} of invoice:inv_x is queued after job ${failed!.id}`,
    );
    expect(await jobStatus(Number(failed!.id))).toBe("failed");
    await h.db.deleteFrom("job").where("ordering_key", "=", "invoice:inv_x").execute();
  });

  it("pages 50 at a time, the latest failure first", async () => {
    await h.db
      .insertInto("job")
      .values(
        Array.from({ length: 55 }, (_, i) => ({
          kind: "invoice.webhook",
          ordering_key: `webhook:inv_${i}:a`,
          payload: "{}",
          status: "failed" as const,
          attempts: 8,
          last_error: `HTTP 500 number ${i}`,
          updated_at: new Date(Date.UTC(2026, 10, 1, 0, i)),
        })),
      )
      .execute();
    const first = await owner.get("/console/jobs");
    const rows = rowsOf(first.text);
    expect(rows).toHaveLength(50);
    expect(rows[0]?.[4]).toBe("HTTP 500 number 54");
    expect(rows[49]?.[4]).toBe("HTTP 500 number 5");
    // Next walks by cursor (since 2026-12-07), carrying the list's next_cursor and the page number shown.
    const next = /href="(\/console\/jobs\?[^"]*cursor=[^"]*)" rel="next"/.exec(first.text)?.[1];
    expect(next).toBeDefined();
    const second = rowsOf((await owner.get(next!.replaceAll("&amp;", "&"))).text);
    expect(second.map((r) => r[4])).toEqual([4, 3, 2, 1, 0].map((i) => `HTTP 500 number ${i}`));
    expect(await failedJobsGauge("invoice.webhook")).toEqual([55]);
    await h.db.deleteFrom("job").where(sql<boolean>`kind = 'invoice.webhook'`).execute();
  });

  it("is for staff only: no session goes to the login page, no key is a 401", async () => {
    const anonymous = await fetch(`${h.server.url}/console/jobs`, { redirect: "manual" });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/console/login?next=%2Fconsole%2Fjobs");
    const post = await fetch(`${h.server.url}/console/jobs/1/retry`, { method: "POST", redirect: "manual" });
    expect(post.status).toBe(401);
    expect((await fetch(`${h.server.url}/api/v1/jobs/failed`)).status).toBe(401);
  });
});
