import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import type { ApiKeyRole } from "../db/schema.ts";
import { createStaffPerRole, PageClient, textOf } from "../web/console/pricing-test-client.ts";

// An error's text a column kept (a billing run's, a failed job's, a customer's sync error, a SolusIO call's)
// read back below admin: with every address hidden (storedErrorWords), as the admin API's 503 and the console's
// error page hide where SolusIO is from billing and support; an admin reads it as kept. Until 2026-12-07 a
// billing or support key, and the console's pages, read "connect ECONNREFUSED 127.0.0.1:9" in each.

const REFUSED = "GET users: connect ECONNREFUSED 127.0.0.1:9";
const WHERE = ["127.0.0.1", "solusio.internal.example"];

let handle: TestDatabase;
let server: TestServer;
let customer = 0n;
const runId = "run_0123456789abcdef";
const keys = new Map<ApiKeyRole, string>();

beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "kept-error@example.com" }])) as [bigint];
  const now = new Date();
  await handle.db
    .updateTable("customer")
    .set({
      sync_state: "failed",
      sync_error: `retrying after attempt 2: POST users: connect ECONNREFUSED solusio.internal.example:8443`,
    })
    .where("id", "=", customer)
    .execute();
  await handle.db
    .insertInto("billing_run")
    .values({
      id: runId,
      period: "2026-10",
      period_start: new Date("2026-10-01T00:00:00Z"),
      period_end: new Date("2026-11-01T00:00:00Z"),
      source: "usage",
      state: "failed",
      error: `SolusIO: ${REFUSED}`,
      actor: "cli",
      started_at: now,
      heartbeat_at: now,
      finished_at: now,
    })
    .execute();
  await handle.db
    .insertInto("job")
    .values({ kind: "invoice.deliver", payload: "{}", status: "failed", attempts: 5, last_error: REFUSED })
    .execute();
  await handle.db
    .insertInto("solusio_call")
    .values({
      method: "GET",
      path: "users",
      status: null,
      duration_ms: 3,
      attempt: 1,
      request_body: null,
      error: REFUSED,
    })
    .execute();
  await createStaffPerRole(handle, ["support"]);
  server = await startTestServer(handle.db);
  for (const role of ["billing", "support"] as const) {
    const created = await server.api("POST", "/api/v1/api-keys", { name: `${role} key`, role });
    keys.set(role, created.body.data.key);
  }
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function get(key: string, path: string) {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status, path).toBe(200);
  return response.text();
}

const READERS = [
  "/api/v1/billing-runs",
  `/api/v1/billing-runs/${runId}`,
  "/api/v1/jobs/failed",
  "/api/v1/solusio/calls",
  "/api/v1/customers",
  () => `/api/v1/customers/${customer}`,
];

describe("a stored error's text read back", () => {
  it("hides every address from a billing and a support key, keeping how the call failed", async () => {
    for (const role of ["billing", "support"] as const)
      for (const each of READERS) {
        const path = typeof each === "string" ? each : each();
        const text = await get(keys.get(role)!, path);
        expect(text, `${role} ${path}`).toContain("ECONNREFUSED (address hidden)");
        for (const where of WHERE) expect(text, `${role} ${path}`).not.toContain(where);
      }
  });

  it("shows an admin key the text as kept", async () => {
    expect(await get(TEST_ADMIN_KEY, `/api/v1/billing-runs/${runId}`)).toContain(REFUSED);
    expect(await get(TEST_ADMIN_KEY, `/api/v1/customers/${customer}`)).toContain(
      "solusio.internal.example:8443",
    );
  });

  it("hides them on the console's pages from support", async () => {
    const support = await new PageClient(server.url).logIn("support@example.com");
    for (const page of [
      `/console/billing-runs/${runId}`,
      "/console/jobs",
      "/console/call-log",
      `/console/customers/${customer}`,
    ]) {
      const answer = await support.get(page);
      expect(answer.status, page).toBe(200);
      expect(textOf(answer.text), page).toContain("ECONNREFUSED (address hidden)");
      for (const where of WHERE) expect(answer.text, page).not.toContain(where);
    }
  });
});
