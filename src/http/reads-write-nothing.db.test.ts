import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PageClient } from "../../test/helpers/page-client.ts";
import { changed, everyRow } from "../../test/helpers/every-row.ts";
import { TEST_ADMIN_KEY } from "../../test/helpers/test-server.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { type BilledWorld, finishedRun, octoberToBill } from "../web/console/billing-run-test-fixture.ts";
import { STAFF_PASSWORD } from "../web/console/pricing-test-client.ts";
import { operatorContext } from "../web/portal/testing/portal-fixtures.ts";
import type { RouteEntry } from "./access.ts";

// An instance older than its database lets every request through that its route says cannot write (GET and
// HEAD unless declared `writes`, newer-schema-refusal.ts), and refuses the rest. That is safe only if those
// routes really write nothing: a row written by code that does not know the newer schema could break its
// rules. So every such route of the live route table (a new one is walked without being listed here) is
// called on an old instance, as the actor it serves, over a billed October with one of everything it can
// show, and after each call every row of every table must be as it was: the same rows with the same
// contents, and the same row versions (xmin), so an update that rewrote a row with its own values counts
// too. Until 2026-12-06 every console and portal page restarted its session's idle clock there.

/** GET routes declared `writes`, and why; refused on an old instance (checked, so the list cannot go stale). */
const DECLARED_WRITES: Record<string, string> = {
  "GET /api/v1/backup": "records the backup in the audit log",
  "GET /api/v1/solusio/doctor": "logs its SolusIO calls in the call log",
  "GET /console/solusio": "the doctor's page: logs its SolusIO calls in the call log",
  "GET /sso/solusio": "spends the single sign-on link and logs SolusIO's login call",
};

/**
 * Routes that may still write on an old instance: route → tables. None: the walk of 2026-12-06 found the
 * dashboard's month-to-date estimate (claimed and stored the hour) and the SolusIO call log of the dashboard's
 * and portal's usage calls; both now write nothing there. The call log is written 20 ms after a call
 * (call-log.ts gathers rows), so a row would land in the next route's window, or after the walk's last route:
 * the walk looks once more after it.
 */
const KNOWN_WRITES: Record<string, string[]> = {};

const NEWER = "999-from-a-newer-version";

let world: BilledWorld;
let newer: readonly string[] | undefined;
let staff: PageClient;
let portal: PageClient;
/** The seeded row each route parameter names, by the path segment before it. */
const ids: Record<string, string> = {};
/** A query a page needs to open at all (which payment to refund, which refund to release). */
const queries: Record<string, () => string> = {
  "/console/invoices/:id/refund": () => `?payment=${ids["payments"]}`,
  "/console/customers/:id/refund": () => `?payment=${ids["payments"]}`,
};

async function created(path: string, body: unknown): Promise<string> {
  const answer = await world.server.api("POST", path, body);
  if (answer.status !== 201)
    throw new Error(`fixture ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return String(answer.body.data.id ?? answer.body.data.code);
}

beforeAll(async () => {
  world = await octoberToBill({}, undefined, { newerSchema: () => newer });
  const run = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
  await finishedRun(world.server, run.body.data.id);
  ids["billing-runs"] = run.body.data.id;
  const invoices = (await world.server.api("GET", "/api/v1/invoices?period=2026-10")).body.data;
  const invoice = invoices.find((i: { customer_id: number }) => BigInt(i.customer_id) === world.section4);
  ids["invoices"] = invoice.id;
  ids["customers"] = String(world.section4);
  ids["currencies"] = "USD";
  ids["payments"] = await created(`/api/v1/invoices/${invoice.id}/payments`, {
    amount: 100,
    reference: "W-1",
  });
  await created(`/api/v1/payments/${ids["payments"]}/refunds`, { amount: 10, reason: "walk" });
  ids["credit-notes"] = await created(`/api/v1/invoices/${invoice.id}/credit-notes`, {
    amount: 10,
    reason: "walk",
  });
  ids["client-groups"] = await created("/api/v1/client-groups", { name: "walk group" });
  ids["tax-rules"] = await created("/api/v1/tax-rules", {
    name: "walk VAT",
    country: "DE",
    rates: [{ label: "VAT", rate: "19" }],
  });
  ids["discounts"] = await created("/api/v1/discounts", {
    name: "walk",
    multiplier: "0.95",
    client_group_id: Number(ids["client-groups"]),
  });
  ids["plan-prices"] = await created("/api/v1/plan-prices", {
    plan_name: "walk plan",
    tokens_per_hour: 10,
    tokens_per_month: 7000,
  });
  ids["plans"] = ids["plan-prices"];
  ids["api-keys"] = await created("/api/v1/api-keys", { name: "walk key" });
  const billing = await world.handle.db
    .selectFrom("staff_user")
    .select("id")
    .where("email", "=", "billing@example.com")
    .executeTakeFirstOrThrow();
  ids["staff"] = billing.id;
  await world.handle.db
    .insertInto("job")
    .values({ kind: "walk.gone", payload: "{}", status: "failed", attempts: 5, last_error: "walk" })
    .execute();
  const password = "walk portal password";
  await setPortalPassword({
    ctx: operatorContext(world.handle),
    input: { customer_id: world.section4, password },
  });
  staff = await new PageClient(world.server.url).logInTo("console", "owner@example.com", STAFF_PASSWORD);
  portal = await new PageClient(world.server.url).logInTo("portal", "section4@example.com", password);
  // Then a newer version migrates the database under the running instance.
  await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${NEWER}, ${new Date().toISOString()})`.execute(
    world.handle.db,
  );
  newer = [NEWER];
}, 120_000);
afterAll(async () => {
  await world?.close();
});

async function call(route: RouteEntry, path: string): Promise<number> {
  if (route.access === "staff" || (route.access === "public" && path.startsWith("/console")))
    return (await staff.request(route.method, path)).status;
  if (route.access === "customer" || (route.access === "public" && path.startsWith("/portal")))
    return (await portal.request(route.method, path)).status;
  const headers = route.access === "admin" ? { authorization: `Bearer ${TEST_ADMIN_KEY}` } : undefined;
  const answer = await fetch(world.server.url + path, { method: route.method, headers, redirect: "manual" });
  await answer.arrayBuffer();
  return answer.status;
}

it("every GET and HEAD route not declared to write writes nothing on an old instance", async () => {
  const table = (world.server.app as unknown as { routeTable: RouteEntry[] }).routeTable;
  const reads = table.filter((r) => (r.method === "GET" || r.method === "HEAD") && r.writes !== true);
  const declared = table.filter((r) => r.method === "GET" && r.writes === true).map((r) => `GET ${r.url}`);
  expect(declared.sort()).toEqual(Object.keys(DECLARED_WRITES).sort());

  const wrote: string[] = [];
  const answered: string[] = [];
  let before = await everyRow(world.handle.db);
  for (const route of reads) {
    const param = /\/([^/]+)\/:\w+/.exec(route.url);
    const id = param ? ids[param[1]!] : undefined;
    if (param && id === undefined) throw new Error(`no seeded row for ${route.url}: add one to ids`);
    const path = route.url.replace(/:\w+/, id ?? "") + (queries[route.url]?.() ?? "");
    const status = await call(route, path);
    answered.push(`${route.method} ${path} ${status}`);
    const after = await everyRow(world.handle.db);
    const known = KNOWN_WRITES[`${route.method} ${route.url}`] ?? [];
    const tables = changed(before, after).filter((table) => !known.includes(table));
    if (tables.length > 0) wrote.push(`${route.method} ${route.url} wrote to ${tables.join(", ")}`);
    before = after;
  }
  // A call log row is written up to 20 ms after its call (GATHER_MS): one from the last route may still wait.
  // Closing the SolusIO connection writes every row it holds (connect-solusio.ts); the walk calls SolusIO no more.
  await world.integration.connection.close();
  const late = changed(before, await everyRow(world.handle.db));
  if (late.length > 0) wrote.push(`the walk's last routes wrote to ${late.join(", ")} after answering`);
  expect(wrote).toEqual([]);
  // The walk reached the pages it is for: most answer 200, and none failed.
  expect(answered.filter((a) => / 5\d\d$/.test(a)).filter((a) => !a.includes("/readyz "))).toEqual([]);
  expect(answered.filter((a) => a.endsWith(" 200")).length).toBeGreaterThanOrEqual(
    Math.floor(reads.length * 0.8),
  );

  // The check finds a write: one row's version moved by an update that changed nothing else (its trigger logs
  // the change for the pricing index too).
  await world.handle.db.updateTable("currency").set({ code: "USD" }).where("code", "=", "USD").execute();
  expect(changed(before, await everyRow(world.handle.db))).toContain("currency");
}, 120_000);
