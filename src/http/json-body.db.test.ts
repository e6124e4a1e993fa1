import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// What JSON.parse passes over in a valid body is refused by name, before anything is written
// (json-body-issues.ts): until 2026-12-05 a repeated key was taken last-one-wins, money included, and
// `__proto__` was "not valid JSON". A number written with a fraction or an exponent reaches the fields as
// written: until 2026-12-06 `"amount":10.00` was a payment of 10 minor units (until 2026-12-05 a decimal
// with more digits than a double holds was stored rounded, then refused). And a refusal lists at most 20
// issues: a 769 KB body of 60,000 unknown keys was answered with 4 MB.

let handle: DatabaseHandle;
let server: TestServer;
let customer: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "json-body@example.com" }])) as [bigint];
  server = await startTestServer(handle.db);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** A JSON body as written: JSON.stringify cannot repeat a key or spell a number. */
async function sendRaw(method: string, path: string, json: string) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
    body: json,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), size: text.length };
}
const postRaw = (path: string, json: string) => sendRaw("POST", path, json);

const payments = async () =>
  Number(
    (
      await handle.db
        .selectFrom("payment")
        .select((eb) => eb.fn.countAll<bigint>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const currency = async (code: string) => (await server.api("GET", `/api/v1/currencies/${code}`)).status;

describe("a key given more than once", () => {
  it("refuses a repeated amount, naming it, and records no payment; the same body once is recorded", async () => {
    const url = `/api/v1/customers/${customer}/payments`;
    const r = await postRaw(url, '{"amount":1,"reference":"qa","amount":100000}');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      code: "VALIDATION",
      message: "amount: given more than once; give it once",
      issues: [{ field: "amount", message: "given more than once; give it once" }],
    });
    expect(await payments()).toBe(0);
    const once = await postRaw(url, '{"amount":1,"reference":"qa"}');
    expect([once.status, once.body.data.amount]).toEqual([201, 1]);
    expect(await payments()).toBe(1);
  });

  it("compares keys as decoded and names a nested one by its path", async () => {
    const escaped = await postRaw(
      `/api/v1/customers/${customer}/payments`,
      '{"amount":1,"reference":"qa-2","\\u0061mount":100000}',
    );
    expect(escaped.status).toBe(400);
    expect(escaped.body.error.issues).toEqual([
      { field: "amount", message: "given more than once; give it once" },
    ]);
    const nested = await postRaw(
      "/api/v1/tax-rules",
      '{"name":"Twice","country":"DE","rates":[{"label":"VAT","rate":"19","rate":"7"}]}',
    );
    expect(nested.status).toBe(400);
    expect(nested.body.error.issues).toEqual([
      { field: "rates.0.rate", message: "given more than once; give it once" },
    ]);
    expect(await payments()).toBe(1);
    expect((await server.api("GET", "/api/v1/tax-rules")).body.data).toEqual([]);
  });
});

describe("a number written with a fraction or an exponent reaches the fields as written", () => {
  it.each([
    ["AAA", "12345678901.123456789", "12345678901.123456789"],
    ["AAB", "0.100000000001", "0.100000000001"],
    ["AAF", "9007199254740993.5", "9007199254740993.5"],
    ["AAC", "1.0", "1"],
    ["AAD", "12.34", "12.34"],
    ["AAE", "2.50", "2.5"],
  ])(
    "a decimal field takes %s's %s exactly, digits a double cannot hold too",
    async (code, literal, stored) => {
      const r = await postRaw(
        "/api/v1/currencies",
        `{"code":"${code}","exponent":2,"token_unit_cost":${literal}}`,
      );
      expect([r.status, r.body.data?.token_unit_cost]).toEqual([201, stored]);
    },
  );

  it.each(["1e3", "1e-400", "1E+2"])(
    "a decimal field refuses %s as it refuses the same text in a string, and writes nothing",
    async (literal) => {
      for (const written of [literal, `"${literal}"`]) {
        const r = await postRaw(
          "/api/v1/currencies",
          `{"code":"SEK","exponent":2,"token_unit_cost":${written}}`,
        );
        expect(r.status, written).toBe(400);
        expect(r.body.error.issues, written).toEqual([
          { field: "token_unit_cost", message: "must be a decimal number such as 0.95 (no exponent)" },
        ]);
      }
      expect(await currency("SEK")).toBe(404);
    },
  );

  it.each(["10.00", "1e3", "5.0", '"0001"', '"10.00"'])(
    "an amount in minor units refuses %s (ten dollars sent as 10.00 was ten cents), and records nothing",
    async (written) => {
      const before = await payments();
      const r = await postRaw(
        `/api/v1/customers/${customer}/payments`,
        `{"amount":${written},"reference":"spelled-${before}"}`,
      );
      expect(r.status).toBe(400);
      expect(r.body.error.issues).toEqual([
        {
          field: "amount",
          message:
            "must be a positive whole number of minor units, in digits without a fraction or leading zeros (in the currency's smallest unit: 1000 is 10.00 USD, ¥1,000, 1.000 KWD)",
        },
      ]);
      expect(await payments()).toBe(before);
    },
  );

  it.each(["1e3", "1.0"])(
    "an id refuses %s, as the docs promise one spelling, and changes nothing",
    async (written) => {
      const r = await sendRaw("PATCH", `/api/v1/customers/${customer}`, `{"client_group_id":${written}}`);
      expect(r.status).toBe(400);
      expect(r.body.error.issues).toEqual([
        {
          field: "client_group_id",
          message: "must be an id: a whole number from 1 to 9223372036854775807 (at most 19 digits)",
        },
      ]);
      const row = await handle.db
        .selectFrom("customer")
        .select("client_group_id")
        .where("id", "=", customer)
        .executeTakeFirstOrThrow();
      expect(row.client_group_id).toBeNull();
    },
  );
});

describe("names of prototype poisoning", () => {
  it.each([
    ['{"__proto__":{"x":1}}', "__proto__"],
    ['{"code":"SEK","display_prefix":{"__proto__":{}}}', "display_prefix.__proto__"],
    ['{"code":"SEK","constructor":{"prototype":{"x":1}}}', "constructor.prototype"],
  ])("refuses %s naming %s, where it was 'not valid JSON'", async (json, field) => {
    const r = await postRaw("/api/v1/currencies", json);
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([
      { field, message: "is a reserved name (prototype poisoning) and not allowed as a field name" },
    ]);
    expect(await currency("SEK")).toBe(404);
  });

  it("still refuses JSON that is not valid as before", async () => {
    const r = await postRaw("/api/v1/currencies", '{"code":"SEK",}');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^Body is not valid JSON/);
  });
});

describe("the size of a refusal", () => {
  it("lists 20 issues of 60,000 unknown keys and says how many more there were", async () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `"k${i}":1`).join(",");
    const r = await postRaw(
      "/api/v1/currencies",
      `{"code":"SEK","exponent":2,"token_unit_cost":"0.1",${keys}}`,
    );
    expect(r.status).toBe(400);
    const issues = r.body.error.issues;
    expect(issues).toHaveLength(21);
    expect(issues[0]).toEqual({ field: "k0", message: "unknown field" });
    expect(issues[20]).toEqual({ field: "(more)", message: "59980 more issues not listed" });
    expect(r.body.error.message).toMatch(/^k0: unknown field; .*; \(more\): 59980 more issues not listed$/);
    expect(r.size).toBeLessThan(2_000);
    expect(await currency("SEK")).toBe(404);
  });

  it("shortens a field name the client wrote to 100 characters", async () => {
    const key = "k".repeat(100_000);
    const r = await postRaw("/api/v1/currencies", `{"${key}":1,"${key}":2}`);
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([
      { field: `${"k".repeat(100)}…`, message: "given more than once; give it once" },
    ]);
    expect(r.size).toBeLessThan(1_000);
  });
});
