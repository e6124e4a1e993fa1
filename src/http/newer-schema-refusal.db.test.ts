import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PageClient } from "../../test/helpers/page-client.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { postPricing, startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { type NewerSchemaWatch, startNewerSchemaWatch } from "../app/newer-schema-watch.ts";
import { signedWebhook } from "../billing/providers/testing/fake-stripe.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { operatorContext, PORTAL_PASSWORD } from "../web/portal/testing/portal-fixtures.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";

// An old instance whose schema watch has seen a newer version's migration refuses every request that could
// write, 503 with Retry-After in each face's envelope, and writes nothing; reads and GetTokenPricing go on
// (docs/operations.md, "Starting and upgrading"). Until 2026-12-06 it stopped its background work but went on
// answering writes, made by code that does not know the newer schema.

const NEWER = "999-from-a-newer-version";
const TOKEN = "pricing-token-for-tests";
const WEBHOOK_SECRET = "whsec_newer_schema_test";
const PASSWORD = "console people password";

let handle: DatabaseHandle;
let server: TestServer;
let watch: NewerSchemaWatch;
let customerId: number;
let staff: PageClient;
let portal: PageClient;
/** What the server logged, as pino writes it. */
const logLines: { level: number; msg: string }[] = [];

beforeAll(async () => {
  handle = await createTestDatabase();
  watch = startNewerSchemaWatch({
    db: handle.db,
    logger: pino({ level: "silent" }),
    now: () => new Date(),
    onNewer: async () => {},
    // Only the checks this test makes.
    intervalMs: 3_600_000,
  });
  server = await startTestServer(
    handle.db,
    {
      SOLUSIO_PRICING_TOKEN: TOKEN,
      STRIPE_SECRET_KEY: "sk_test_newer_schema",
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    {
      newerSchema: watch.newer,
      logger: pino({ level: "info" }, { write: (line: string) => void logLines.push(JSON.parse(line)) }),
    },
  );
  const ctx = operatorContext(handle);
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", name: "Ada", country: "GB", currency: "USD" },
  });
  customerId = Number(customer.id);
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customerId), password: PORTAL_PASSWORD } });
  // Logged in before the upgrade, as the people using an old instance are.
  staff = await new PageClient(server.url).logInTo("console", "owner@example.com", PASSWORD);
  portal = await new PageClient(server.url).logInTo("portal", "ada@example.com", PORTAL_PASSWORD);
}, 60_000);
afterAll(async () => {
  await sql`DELETE FROM kysely_migration WHERE name = ${NEWER}`.execute(handle.db);
  await watch?.stop();
  await server?.close();
  await handle?.close();
});

/** A newer version's migration recorded, and seen by the instance's schema watch. */
async function newerMigrationSeen(): Promise<void> {
  if (watch.newer() === undefined)
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${NEWER}, ${new Date().toISOString()})`.execute(
      handle.db,
    );
  await watch.check();
  expect(watch.newer()).toEqual([NEWER]);
}

/** What a write could change: counts of the tables the requests below would write to, and Ada's row. */
async function written() {
  const count = async (table: string) =>
    (await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}`.execute(handle.db))
      .rows[0]!.n;
  const ada = await handle.db
    .selectFrom("customer")
    .select(["name", "updated_at"])
    .where("id", "=", BigInt(customerId))
    .executeTakeFirstOrThrow();
  return {
    customers: await count("customer"),
    audit: await count("audit_log"),
    events: await count("provider_event"),
    sessions: await count("web_session"),
    ada,
  };
}

it("refuses every write with 503 and Retry-After once a newer migration is seen, writes nothing, and still reads", async () => {
  const newCustomerForm = await staff.get("/console/customers/new");
  const profileForm = await portal.get("/portal/profile");

  await newerMigrationSeen();
  const before = await written();

  const patch = await fetch(`${server.url}/api/v1/customers/${customerId}`, {
    method: "PATCH",
    headers: { authorization: "Bearer test-admin-key-0123456789", "content-type": "application/json" },
    body: JSON.stringify({ name: "Changed by an old instance" }),
  });
  expect([patch.status, patch.headers.get("retry-after")]).toEqual([503, "5"]);
  const refused = (await patch.json()) as { error: { code: string; message: string } };
  expect(refused.error.code).toBe("NEWER_SCHEMA");
  expect(refused.error.message).toContain("a newer version has migrated it");
  expect(refused.error.message).not.toContain(NEWER);

  const staffPost = await staff.request("POST", "/console/customers/new", {
    _csrf: /name="_csrf" value="([^"]+)"/.exec(newCustomerForm.text)![1]!,
    email: "grace@example.com",
    name: "Grace",
    country: "GB",
    currency: "USD",
  });
  expect([staffPost.status, staffPost.headers.get("retry-after")]).toEqual([503, "5"]);
  expect(staffPost.type).toContain("text/html");
  expect(staffPost.text).toContain("nothing was saved. Staff: stop this instance");

  const portalPost = await portal.request("POST", "/portal/profile", {
    _csrf: /name="_csrf" value="([^"]+)"/.exec(profileForm.text)![1]!,
    name: "Ada Lovelace",
  });
  expect([portalPost.status, portalPost.headers.get("retry-after")]).toEqual([503, "5"]);
  expect(portalPost.type).toContain("text/html");
  expect(portalPost.text).toContain("this server no longer takes changes");

  // Stripe sends the event again on any answer but 2xx, and so reaches the upgraded instance.
  const event = {
    id: "evt_newer_schema",
    object: "event",
    type: "customer.created",
    created: Math.floor(Date.now() / 1000),
    api_version: "2026-10-28.endive",
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: "cus_newer_schema", object: "customer" } },
  };
  const { body, headers } = signedWebhook(event, WEBHOOK_SECRET);
  const webhook = await fetch(`${server.url}/webhooks/stripe`, { method: "POST", headers, body });
  expect([webhook.status, webhook.headers.get("retry-after")]).toEqual([503, "5"]);
  expect(((await webhook.json()) as { error: { code: string } }).error.code).toBe("NEWER_SCHEMA");

  // A GET that writes a row is declared so: the single sign-on link's use, a backup's audit row, the doctor's
  // SolusIO call log (the API's and the console page's).
  const sso = await fetch(`${server.url}/sso/solusio?customer=${customerId}`, { redirect: "manual" });
  expect([sso.status, sso.headers.get("retry-after")]).toEqual([503, "5"]);
  expect(await sso.text()).toContain("this server no longer takes changes");
  for (const path of ["/api/v1/backup", "/api/v1/solusio/doctor"]) {
    const answer = await server.api("GET", path);
    expect([path, answer.status, answer.body?.error?.code]).toEqual([path, 503, "NEWER_SCHEMA"]);
  }
  const doctorPage = await staff.get("/console/solusio");
  expect([doctorPage.status, doctorPage.text.includes("Staff: stop this instance")]).toEqual([503, true]);

  expect(await written()).toEqual(before);

  // Reads go on: the admin API, a page, GetTokenPricing (the fast path's form and the route's JSON).
  const read = await server.api("GET", `/api/v1/customers/${customerId}`);
  expect([read.status, read.body.data.name]).toEqual([200, "Ada"]);
  expect((await staff.get(`/console/customers/${customerId}`)).status).toBe(200);
  const pricing = { token: TOKEN, action: "GetTokenPricing", userid: String(customerId) };
  expect((await postPricing(server.url, pricing)).status).toBe(200);
  const json = await fetch(`${server.url}/solusio/api`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(pricing),
  });
  expect(json.status).toBe(200);

  const metrics = await fetch(`${server.url}/metrics`, {
    headers: { authorization: "Bearer test-admin-key-0123456789" },
  });
  expect(await metrics.text()).toMatch(/^tokenbill_http_newer_schema_refusals_total 8$/m);
  // Eight refusals, one line: the first says why, the counter counts them all.
  const warned = logLines.filter((line) => line.level >= 40).map((line) => line.msg);
  expect(warned).toEqual([
    "this instance is older than its database and refuses every request that could write (503 NEWER_SCHEMA); " +
      "further refusals are counted in tokenbill_http_newer_schema_refusals_total, not logged",
  ]);
}, 60_000);

it("reads a page's session without restarting its idle clock: a page read writes nothing", async () => {
  await newerMigrationSeen();
  // A minute ago, well inside the idle limit: a request that restarted the clock would move it to now.
  const lastSeen = new Date(Date.now() - 60_000);
  await handle.db.updateTable("web_session").set({ last_seen_at: lastSeen }).execute();
  const clocks = () =>
    handle.db.selectFrom("web_session").select(["kind", "last_seen_at"]).orderBy("kind").execute();
  const before = await clocks();
  expect(before.map((s) => s.kind)).toEqual(["customer", "staff"]);

  expect((await staff.get(`/console/customers/${customerId}`)).status).toBe(200);
  expect((await portal.get("/portal")).status).toBe(200);
  // The two-factor code page reads the session too (console-pages.ts), and sends a whole one to log in.
  expect((await staff.get("/console/login/code")).status).toBe(303);

  expect(await clocks()).toEqual(before);
});
