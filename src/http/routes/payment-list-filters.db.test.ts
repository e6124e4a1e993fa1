import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";

// What an operator reconciling a bank statement filters the payments list by: method, currency and the days
// received (inclusive, days in BILLING_TIME_ZONE, here New York, whose 1 November 2026 is 25 hours long), with
// the cursor held to them; every bad value a 400 naming its parameter and its bound.

let handle: DatabaseHandle;
let server: TestServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { BILLING_TIME_ZONE: "America/New_York" });
  const customer = await sql<{ id: string }>`
    INSERT INTO customer (email, name, country, currency_code) VALUES ('filters@payments.test', 'Filter', 'US', 'USD')
    RETURNING id::text AS id`.execute(handle.db);
  const id = customer.rows[0]!.id;
  // In New York: A on 31 October (a microsecond before 1 November begins, 04:00Z in daylight time), B at the
  // start of 1 November, C at its end (05:00Z the next day, standard time), D on 2 November, E in mid October.
  await sql
    .raw(`
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, paid_at) VALUES
      ('pay_a', ${id}, 'USD', 100, 'manual', 'F-A', '2026-11-01 03:59:59.999999+00'),
      ('pay_b', ${id}, 'USD', 200, 'bank_transfer', 'F-B', '2026-11-01 04:00:00+00'),
      ('pay_c', ${id}, 'USD', 300, 'stripe', 'F-C', '2026-11-02 04:59:59.999999+00'),
      ('pay_d', ${id}, 'EUR', 400, 'bank_transfer', 'F-D', '2026-11-02 05:00:00+00'),
      ('pay_e', ${id}, 'USD', 500, 'manual', 'F-E', '2026-10-15 12:00:00+00')`)
    .execute(handle.db);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function ids(query: string): Promise<string[]> {
  const r = await server.api("GET", `/api/v1/payments?${query}`);
  expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body.data.map((p: { id: string }) => p.id);
}

async function refusal(query: string): Promise<{ field: string; message: string }> {
  const r = await server.api("GET", `/api/v1/payments?${query}`);
  expect(r.status, query).toBe(400);
  return r.body.error.issues[0];
}

describe("the payments list's filters", () => {
  it("takes received_from and received_to as days in BILLING_TIME_ZONE, both inclusive", async () => {
    // New York's 1 November: B and C (a UTC day would give A and B).
    expect(await ids("received_from=2026-11-01&received_to=2026-11-01")).toEqual(["pay_c", "pay_b"]);
    expect(await ids("received_from=2026-11-02")).toEqual(["pay_d"]);
    expect(await ids("received_to=2026-10-31")).toEqual(["pay_a", "pay_e"]);
    expect(await ids("received_from=2026-10-15&received_to=2026-10-15")).toEqual(["pay_e"]);
    expect(await ids("received_to=9999-12-31&received_from=1970-01-01")).toHaveLength(5);
  });

  it("filters by method and currency, alone and with the other filters, and counts the matches", async () => {
    expect(await ids("method=manual")).toEqual(["pay_a", "pay_e"]);
    expect(await ids("method=stripe")).toEqual(["pay_c"]);
    expect(await ids("currency=EUR")).toEqual(["pay_d"]);
    expect(await ids("currency=eur")).toEqual(["pay_d"]);
    expect(await ids("currency=USD&method=bank_transfer")).toEqual(["pay_b"]);
    expect(await ids("method=manual&received_from=2026-10-20")).toEqual(["pay_a"]);
    expect(await ids("method=paypal")).toEqual([]);
    const counted = await server.api("GET", "/api/v1/payments?method=manual&per_page=1");
    expect(counted.body.meta).toMatchObject({ total: 2, last_page: 2 });
  });

  it("walks the filtered list by cursor, and refuses a cursor made under other filters", async () => {
    const first = await server.api("GET", "/api/v1/payments?method=manual&per_page=1");
    const cursor = encodeURIComponent(first.body.meta.next_cursor);
    expect(await ids(`method=manual&per_page=1&cursor=${cursor}`)).toEqual(["pay_e"]);
    for (const other of [
      "method=stripe",
      "",
      "method=manual&currency=USD",
      "method=manual&received_to=2026-12-31",
    ])
      expect((await refusal(`${other}&per_page=1&cursor=${cursor}`)).message).toMatch(/other filters/);
    const dated = await server.api("GET", "/api/v1/payments?received_from=2026-10-01&per_page=2");
    const datedCursor = encodeURIComponent(dated.body.meta.next_cursor);
    expect(await ids(`received_from=2026-10-01&per_page=2&cursor=${datedCursor}`)).toEqual([
      "pay_b",
      "pay_a",
    ]);
    expect((await refusal(`received_from=2026-10-02&per_page=2&cursor=${datedCursor}`)).field).toBe(
      "query.cursor",
    );
  });

  it("refuses a bad filter with a 400 naming it and its bound", async () => {
    for (const [query, field, message] of [
      ["method=Manual", "query.method", /lowercase letter, then at most 39/],
      [`method=${"a".repeat(41)}`, "query.method", /at most 39/],
      ["method=bank-transfer", "query.method", /such as manual, bank_transfer, stripe/],
      ["currency=US", "query.currency", /ISO 4217/],
      ["currency=DOLLARS", "query.currency", /ISO 4217/],
      ["received_from=2026-11-1", "query.received_from", /YYYY-MM-DD/],
      ["received_from=2026-02-30", "query.received_from", /calendar date/],
      ["received_to=1969-12-31", "query.received_to", /from 1970-01-01 to 9999-12-31/],
      [
        "received_from=2026-11-02&received_to=2026-11-01",
        "query.received_to",
        /on or after received_from \(2026-11-02\)/,
      ],
      [`received_from=${"2".repeat(2_000)}`, "query.received_from", /YYYY-MM-DD/],
    ] as const) {
      const issue = await refusal(query);
      expect(issue.field, query).toBe(field);
      expect(issue.message, query).toMatch(message);
    }
  });

  it("answers an empty total= naming the parameter and the values it takes", async () => {
    expect(await refusal("total=")).toEqual({ field: "query.total", message: "must be true or false" });
    expect(await refusal("total=maybe")).toEqual({ field: "query.total", message: "must be true or false" });
    // A filter that takes any text keeps the general words: an empty one is no filter.
    expect((await refusal("method=")).message).toMatch(/such as manual, bank_transfer, stripe/);
    expect(await refusal("per_page=")).toEqual({
      field: "query.per_page",
      message: "must be a whole number from 1 to 500",
    });
  });
});
