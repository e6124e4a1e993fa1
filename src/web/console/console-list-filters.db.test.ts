import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// Every console list with a filter form refuses a bad or over-long filter as the payments list does: the page
// itself, 400, the message beside its field with its bound, the value past the address's 1,000 characters not
// written back, never the damaged-address page, never a 500 and never the list unfiltered.

let handle: DatabaseHandle;
let server: TestServer;
let support: PageClient;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle, ["support"]);
  support = await new PageClient(server.url).logIn("support@example.com");
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const CUSTOMER_ID = /customer id: a whole number from 1 to 9223372036854775807 \(at most 19 digits\)/i;
const long = (c: string, n = 2_000) => c.repeat(n);

// [page, parameter, field beside which it is told, value, message]
const CASES: readonly (readonly [string, string, string, string, RegExp])[] = [
  ["/console/payments", "customer_id", "customer_id", long("1"), CUSTOMER_ID],
  ["/console/invoices", "customer_id", "customer_id", "abc", CUSTOMER_ID],
  ["/console/invoices", "customer_id", "customer_id", long("1"), CUSTOMER_ID],
  ["/console/invoices", "period", "period", long("2"), /YYYY-MM/],
  ["/console/credit-notes", "customer_id", "customer_id", "0", CUSTOMER_ID],
  ["/console/credit-notes", "customer_id", "customer_id", long("1"), CUSTOMER_ID],
  ["/console/customers", "q", "q", long("a", 300), /at most 254 characters/],
  ["/console/customers", "q", "q", long("a"), /at most 254 characters/],
  ["/console/customers", "status", "status", long("x"), /must be one of/i],
  ["/console/call-log", "status", "status", long("2"), /HTTP status from 100 to 599/],
  ["/console/audit-log", "entity", "entity", long("e", 60), /at most 50 characters/],
  ["/console/audit-log", "entity_id", "entity_id", long("1"), /at most 100 characters/],
  ["/console/audit-log", "actor", "actor", long("a", 101), /at most 100 characters/],
];

describe("every console list's filters", () => {
  for (const [path, name, field, value, message] of CASES) {
    const shown = value.length > 20 ? `${value.slice(0, 8)}… (${value.length} characters)` : value;
    it(`${path}?${name}=${shown} is refused beside its field with its bound`, async () => {
      const r = await support.get(`${path}?${name}=${encodeURIComponent(value)}`);
      expect(r.status).toBe(400);
      expect(r.text).toContain(`id="${field}-error"`);
      expect(r.text).toContain('aria-invalid="true"');
      expect(textOf(r.text)).toMatch(message);
      expect(textOf(r.text)).not.toMatch(/address holds something/);
      // Past the address's cap the value is not written back into the form.
      if (value.length > 1_000) expect(r.text).not.toContain(value.slice(0, 1_001));
    });
  }
});

describe("every console list's page number", () => {
  // Until 2026-12-06 a bad page number was read as page 1: the first page shown as if it were the one asked for.
  const LISTS = ["/console/invoices", "/console/payments", "/console/credit-notes", "/console/customers"];
  const PLAIN = ["/console/jobs", "/console/call-log", "/console/audit-log", "/console/billing-runs"];
  for (const path of [...LISTS, ...PLAIN])
    it(`${path}?page=abc is refused with a 400 saying what the page number must be`, async () => {
      for (const bad of ["abc", "-1", "99999999999999999999"]) {
        const r = await support.get(`${path}?page=${bad}`);
        expect(r.status, bad).toBe(400);
        expect(textOf(r.text), bad).toMatch(/page: must be a whole number from 1 to 1000000/i);
      }
      expect((await support.get(`${path}?page=`)).status).toBe(200);
    });
});

describe("a console list whose page number and filter are both bad", () => {
  it("tells both, and sums the refusal up as a problem with the filters, not a form that saved nothing", async () => {
    const r = await support.get("/console/credit-notes?page=abc&customer_id=0");
    expect(r.status).toBe(400);
    expect(textOf(r.text)).toMatch(/page: must be a whole number from 1 to 1000000/i);
    expect(r.text).toContain('id="customer_id-error"');
    expect(r.text).toContain(">There is a problem with these filters</h2>");
    expect(r.text).not.toContain("nothing was saved");
    const two = await support.get("/console/invoices?page=abc&customer_id=0&period=2026-13");
    expect(two.status).toBe(400);
    expect(textOf(two.text)).toMatch(/page: must be a whole number from 1 to 1000000/i);
    expect(two.text).toContain(">There are 2 problems with these filters</h2>");
  });
});

describe("a console list that refused its filters", () => {
  // The list was not read, so it says nothing of its rows: until 2026-12-07 the empty card under the refusal
  // said "No credit notes match these filters." (and the like) though nothing was searched. One list of each
  // kind: walked by cursor, a log, and a bad cursor or page number above the form rather than beside a field.
  const REFUSED: readonly (readonly [string, RegExp])[] = [
    ["/console/credit-notes?settled=bogus", /No credit notes/],
    ["/console/credit-notes?customer_id=0", /No credit notes/],
    ["/console/invoices?period=2026-13", /No invoices/],
    ["/console/payments?customer_id=0", /No payments/],
    ["/console/customers?status=bogus", /No customer/],
    ["/console/audit-log?entity=" + "e".repeat(60), /No entry/],
    ["/console/call-log?status=abc", /No call/],
    ["/console/credit-notes?cursor=abc", /No credit notes/],
    ["/console/audit-log?page=abc", /No entry/],
  ];
  for (const [path, empty] of REFUSED)
    it(`${path.slice(0, 60)} says no "nothing matches" under the refusal`, async () => {
      const r = await support.get(path);
      expect(r.status).toBe(400);
      expect(textOf(r.text)).toMatch(/must be|at most/i);
      expect(textOf(r.text)).not.toMatch(empty);
      expect(textOf(r.text)).not.toMatch(/\bmatch(es)?\b/);
    });

  it("still says so when a list read with its filters has no rows", async () => {
    for (const [path, empty] of [
      ["/console/credit-notes?settled=refund&customer_id=999999", /No credit notes/],
      ["/console/audit-log?entity=nothing-here", /No entry matches/],
      ["/console/call-log?status=599", /No call matches/],
    ] as const) {
      const r = await support.get(path);
      expect(r.status, path).toBe(200);
      expect(textOf(r.text), path).toMatch(empty);
    }
  });
});
