import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { PageClient } from "./pricing-test-client.ts";

// Every form of the console sent, filled in as it would be, by a role its verb refuses: 403 and nothing
// written (no audit row), since roles are checked in the verbs (staff-roles.ts), not by hiding a button.
// The same form sent by an owner is then taken, so the 403s are about the role and not a form the page
// refused for its fields. The forms walked are the money and admin ones; the staff-account forms are sent as
// the owner's own, which support and billing may not touch.

let world: BilledWorld;
let invoice = "";
/** Another customer's invoice, for the void: the first one's payment would make its void a 409. */
let other = "";
let owner = "";

beforeAll(async () => {
  world = await octoberToBill({ SMTP_HOST: "127.0.0.1" }, ["owner", "admin", "billing", "support"]);
  const started = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
  await finishedRun(world.server, started.body.data.id);
  const invoices = (await world.server.api("GET", "/api/v1/invoices?period=2026-10")).body.data;
  invoice = invoices.find((i: { customer_id: number }) => i.customer_id === Number(world.plain)).id;
  other = invoices.find((i: { customer_id: number }) => i.customer_id === Number(world.section4)).id;
  owner = (
    await world.handle.db
      .selectFrom("staff_user")
      .select("id")
      .where("role", "=", "owner")
      .executeTakeFirstOrThrow()
  ).id;
});
afterAll(async () => {
  await world?.close();
});

/** A console form as its page would send it, filled in. */
const forms = (): [string, Record<string, string>][] => [
  ["/console/customers/new", { email: "walk@example.com", name: "Walk", country: "DE", currency: "USD" }],
  [
    `/console/customers/${world.plain}/edit`,
    { email: "plain@example.com", name: "Renamed", country: "DE", currency: "USD" },
  ],
  ["/console/pricing/plans", { plan_name: "Walk plan", tokens_per_hour: "7", tokens_per_month: "5000" }],
  ["/console/api-keys", { name: "walk key" }],
  [
    `/console/invoices/${invoice}/payments`,
    { amount: "1.00", method: "bank_transfer", reference: "WALK-1", paid_at: "2026-11-02" },
  ],
  [`/console/invoices/${invoice}/credit-notes`, { amount: "1.00", reason: "walk", settlement: "credit" }],
  [`/console/invoices/${other}/void`, { reason: "walk" }],
];
const MONEY = /\/invoices\//;

async function auditRows(): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(
    world.handle.db,
  );
  return rows[0]!.n;
}

describe("a console form sent by a role its verb refuses", () => {
  for (const role of ["support", "billing"] as const) {
    it(`answers ${role} 403 and writes nothing`, async () => {
      const client = await new PageClient(world.server.url).logIn(`${role}@example.com`);
      for (const [path, form] of forms()) {
        if (role === "billing" && MONEY.test(path)) continue;
        const before = await auditRows();
        const answer = await client.submit("/console", path, form);
        expect(answer.status, path).toBe(403);
        expect(await auditRows(), path).toBe(before);
      }
      // Staff accounts: support and billing may not touch the owner's.
      for (const action of ["role", "disable", "two-factor", "password"]) {
        const path = `/console/settings/staff/${owner}/${action}`;
        const answer = await client.submit("/console", path, { role: "support" });
        expect(answer.status, path).toBe(403);
      }
    });
  }

  it("takes the same forms from an owner, so the 403s above are the role's", async () => {
    const client = await new PageClient(world.server.url).logIn("owner@example.com");
    for (const [path, form] of forms()) {
      const before = await auditRows();
      const answer = await client.submit("/console", path, form);
      expect(answer.status, path).toBe(303);
      expect(await auditRows(), path).toBeGreaterThan(before);
    }
  });
});
