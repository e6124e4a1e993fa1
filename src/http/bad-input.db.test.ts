import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import {
  billingContext,
  createSection4Customer,
  section4Usage,
} from "../billing/testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../billing/usage/memory-usage-source.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// Bad input is a 4xx that names what is wrong; each case gave a 500 or was accepted before.

let handle: DatabaseHandle;
let server: TestServer;
beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await server.api("POST", "/api/v1/currencies", { code: "EUR", token_unit_cost: "0.001" });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const issueOf = (body: any) => body.error.issues?.[0];

describe("text input", () => {
  it("refuses a NUL or another control character in a body field, naming the field", async () => {
    for (const name of ["Ada\u0000", "Ada\u001b[2J", "Ada\u0085", "Ada\nLovelace"]) {
      const r = await server.api("POST", "/api/v1/customers", {
        email: "ada@example.com",
        name,
        country: "GB",
        currency: "EUR",
      });
      expect(r.status).toBe(400);
      expect(issueOf(r.body)).toEqual({ field: "name", message: "must not contain control characters" });
    }
  });

  it("refuses line separators and bidirectional overrides, writing nothing, and takes right-to-left text", async () => {
    const create = (name: string) =>
      server.api("POST", "/api/v1/customers", {
        email: "rtl@example.com",
        name,
        country: "GB",
        currency: "EUR",
      });
    const separator = await create("Ada\u2028Lovelace");
    expect(separator.status).toBe(400);
    expect(issueOf(separator.body)).toEqual({
      field: "name",
      message: "must not contain line or paragraph separators (U+2028, U+2029)",
    });
    // Shown as "Ada exe.pdf" reversed: what an invoice or the console would display is not what is stored.
    for (const [name, code] of [
      ["Ada \u202Efdp.exe", "202E"],
      ["Ada \u2067x\u2069", "2067"],
    ]) {
      const r = await create(name!);
      expect(r.status).toBe(400);
      expect(issueOf(r.body)).toEqual({
        field: "name",
        message: `must not contain a text-direction control character (U+${code}), which changes the order text is shown in`,
      });
    }
    expect((await server.api("GET", "/api/v1/customers?email=rtl@example.com")).body.data).toEqual([]);
    const rtl = await create("شركة الأمل\u200F");
    expect(rtl.status).toBe(201);
    expect(rtl.body.data.name).toBe("شركة الأمل\u200F");
  });

  it("says a field's own limit for a text over the cap every text has, not the cap", async () => {
    const r = await server.api("POST", "/api/v1/customers", {
      email: "long@example.com",
      name: "x".repeat(10_001),
      country: "GB",
      currency: "EUR",
    });
    expect(r.status).toBe(400);
    expect(issueOf(r.body)).toEqual({ field: "name", message: "must be at most 200 characters" });
    // A field that takes any text still meets the cap.
    const note = await server.api("GET", `/api/v1/customers?search=${"x".repeat(1_001)}`);
    expect(issueOf(note.body).message).toMatch(/^must be at most \d+ characters$/);
  });

  it("refuses control characters in filters and bounds their length", async () => {
    const nul = await server.api("GET", "/api/v1/customers?email=a%00b");
    expect(nul.status).toBe(400);
    expect(issueOf(nul.body).field).toBe("query.email");
    const long = await server.api("GET", `/api/v1/customers?email=${"a".repeat(8000)}`);
    expect(long.status).toBe(400);
    expect(issueOf(long.body).field).toBe("query.email");
  });

  it("refuses unpaired surrogates in nested fields", async () => {
    const r = await server.api("POST", "/api/v1/tax-rules", {
      name: "VAT",
      country: "DE",
      rates: [{ label: "VAT\ud800", rate: "19" }],
    });
    expect(r.status).toBe(400);
    expect(issueOf(r.body)).toEqual({ field: "rates.0.label", message: "must be valid Unicode text" });
  });
});

describe("nesting", () => {
  /** A JSON body as written: JSON.stringify itself overflows the stack on such depths. */
  async function postRaw(path: string, json: string) {
    const response = await fetch(server.url + path, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
      body: json,
    });
    return { status: response.status, body: await response.json() };
  }
  const arrays = (levels: number) => `{"a":${"[".repeat(levels)}${"]".repeat(levels)}}`;
  const objects = (levels: number) => `{"a":${'{"a":'.repeat(levels)}1${"}".repeat(levels + 1)}`;

  // 20,000 levels overflowed assertCleanText's recursion: a 500 (RangeError) for a 40 KB body.
  it.each([
    ["arrays", "/api/v1/currencies", arrays(20_000)],
    ["objects", "/api/v1/currencies", objects(20_000)],
    ["arrays", "/api/v1/customers/1/payments", arrays(20_000)],
    ["objects", "/api/v1/customers/1/payments", objects(20_000)],
  ])("refuses 20,000 levels of %s on %s with 400", async (_kind, path, json) => {
    const currencies = async () => (await server.api("GET", "/api/v1/currencies")).body.data;
    const before = await currencies();
    const r = await postRaw(path, json);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "VALIDATION", requestId: expect.any(String) });
    expect(issueOf(r.body).message).toBe("nested too deeply (more than 32 levels)");
    expect(issueOf(r.body).field).toMatch(/^a\./);
    expect(await currencies()).toEqual(before);
  });

  it("walks 32 levels and refuses the 33rd", async () => {
    // 32 levels (the body and 31 arrays) reach the schema, which refuses the unknown field `a`.
    const deepest = await postRaw("/api/v1/currencies", arrays(31));
    expect(deepest.status).toBe(400);
    expect(issueOf(deepest.body).message).not.toContain("nested too deeply");
    const over = await postRaw("/api/v1/currencies", arrays(32));
    expect(over.status).toBe(400);
    expect(issueOf(over.body).message).toBe("nested too deeply (more than 32 levels)");
  });
});

describe("numbers have one spelling", () => {
  it.each(["0x10", "1e1", "+5", " 5", "0", "-1", "99999999999999999999"])(
    "refuses the id %j",
    async (raw) => {
      const r = await server.api("GET", `/api/v1/customers/${encodeURIComponent(raw)}`);
      expect(r.status).toBe(400);
      expect(issueOf(r.body).field).toBe("path.id");
    },
  );

  it("refuses page numbers JavaScript would convert", async () => {
    for (const page of ["0x2", "1e2", "2.5"]) {
      const r = await server.api("GET", `/api/v1/customers?page=${page}`);
      expect(r.status, page).toBe(400);
      expect(issueOf(r.body).field).toBe("query.page");
    }
    expect((await server.api("GET", "/api/v1/customers?page=2&per_page=500")).status).toBe(200);
    expect((await server.api("GET", "/api/v1/customers?per_page=501")).status).toBe(400);
  });

  // Before, an id of another JSON type was "client_group_id: is not valid", which says nothing of what is.
  it("tells an id of the wrong JSON type what an id is", async () => {
    for (const value of [null, true, "1.5", 1.5, [1]]) {
      const r = await server.api("POST", "/api/v1/discounts", {
        name: "Wrong id",
        multiplier: "0.9",
        client_group_id: value,
      });
      expect(r.status, JSON.stringify(value)).toBe(400);
      expect(r.body.error.issues, JSON.stringify(value)).toContainEqual({
        field: "client_group_id",
        message: "must be an id: a whole number from 1 to 9223372036854775807 (at most 19 digits)",
      });
    }
  });
});

describe("query parameters", () => {
  it("refuses one the route does not take, naming it, where it would have been passed over", async () => {
    // A list takes page and per_page, not limit: the default 50 rows would have come back.
    const list = await server.api("GET", "/api/v1/customers?limit=10&per_page=5");
    expect(list.status).toBe(400);
    expect(list.body.error.issues).toEqual([{ field: "query.limit", message: "unknown field" }]);
    // A route that takes no query at all: the whole statement would have come back.
    const statement = await server.api("GET", "/api/v1/customers/1/statement?from=2026-01-01");
    expect(statement.status).toBe(400);
    expect(issueOf(statement.body).field).toBe("query.from");
    expect((await server.api("GET", "/api/v1/customers?per_page=5")).status).toBe(200);
  });

  it('refuses one given twice, saying so rather than "Invalid input"', async () => {
    const r = await server.api("GET", "/api/v1/customers?per_page=5&per_page=6&email=a&email=b");
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([
      { field: "query.per_page", message: "given more than once; give it once" },
      { field: "query.email", message: "given more than once; give it once" },
    ]);
  });

  it("refuses an empty filter, which some lists read as no filter and answered every row", async () => {
    for (const path of [
      "/api/v1/invoices?number=",
      "/api/v1/audit-log?actor=&entity=",
      "/api/v1/customers?email=",
    ]) {
      const r = await server.api("GET", path);
      expect([path, r.status]).toEqual([path, 400]);
      expect(issueOf(r.body).message).toBe("must not be empty; leave it out for no filter");
    }
    expect(issueOf((await server.api("GET", "/api/v1/invoices?number=")).body).field).toBe("query.number");
    expect((await server.api("GET", "/api/v1/invoices?number=INV-NONE")).status).toBe(200);
  });

  it("refuses percent-encoding that is not UTF-8, which was searched for as its literal text", async () => {
    for (const query of ["search=%FF", "search=%ED%A0%80", "search=%C0%80", "search=%", "search=a%2"]) {
      const r = await server.api("GET", `/api/v1/customers?${query}`);
      expect([query, r.status]).toEqual([query, 400]);
      expect(issueOf(r.body)).toEqual({
        field: "query.search",
        message: "is not valid percent-encoding of UTF-8 text",
      });
    }
    // Well-formed encodings, of UTF-8 text and of a literal "%", are read as before.
    expect((await server.api("GET", "/api/v1/customers?search=%C3%A9")).status).toBe(200);
    expect((await server.api("GET", "/api/v1/customers?search=100%25")).status).toBe(200);
  });
});

describe("a body where the route takes none", () => {
  it("refuses its fields by name, and takes no body or an empty object", async () => {
    const customer = await server.api("POST", "/api/v1/customers", {
      email: "no-body@example.com",
      country: "DE",
      currency: "EUR",
    });
    const url = `/api/v1/customers/${customer.body.data.id}/sso-link`;
    // Before, the field was passed over and a link made as though it had been honoured.
    const r = await server.api("POST", url, { redirect: "https://elsewhere.example" });
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([{ field: "redirect", message: "unknown field" }]);
    expect((await server.api("POST", url, [])).status).toBe(400);
    // JSON's `null` is a body too, not the absence of one.
    const nullBody = await server.api("POST", url, null);
    expect(nullBody.status).toBe(400);
    expect(nullBody.body.error.issues).toEqual([{ field: "(body)", message: "must be an object" }]);
    expect((await server.api("POST", url, {})).status).toBe(200);
    expect((await server.api("POST", url)).status).toBe(200);
  });

  // Before, Fastify's JSON parser refused the empty body (400 "Body cannot be empty when content-type is set
  // to 'application/json'") after the route layer had let it through as no body.
  it("takes a JSON content type with an empty body as no body", async () => {
    const customer = await server.api("POST", "/api/v1/customers", {
      email: "json-no-body@example.com",
      country: "DE",
      currency: "EUR",
    });
    const link = await jsonWithoutBody("POST", `/api/v1/customers/${customer.body.data.id}/sso-link`);
    expect([link.status, typeof link.body.data.url]).toEqual([200, "string"]);
    const group = await server.api("POST", "/api/v1/client-groups", { name: "No body" });
    const deleted = await jsonWithoutBody("DELETE", `/api/v1/client-groups/${group.body.data.id}`);
    expect(deleted.status).toBe(204);
    expect((await server.api("GET", `/api/v1/client-groups/${group.body.data.id}`)).status).toBe(404);
    // A route that needs a body still refuses its absence, through its schema and in the usual envelope.
    const create = await jsonWithoutBody("POST", "/api/v1/client-groups");
    expect([create.status, create.body.error.code, create.body.error.issues]).toEqual([
      400,
      "VALIDATION",
      [{ field: "(body)", message: "is required" }],
    ]);
    // Bad JSON is refused as before.
    const broken = await fetch(`${server.url}/api/v1/client-groups`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
  });
});

describe("body encoding", () => {
  // JSON is UTF-8 (RFC 8259). Before, bytes that are not UTF-8 (a client's Latin-1 "é") were read as U+FFFD
  // and the answer was 201: the customer's name was stored as "Ren\uFFFD", silently not what was sent.
  it("refuses a JSON body that is not UTF-8, naming the body, and writes nothing", async () => {
    const latin1 = Buffer.from(
      '{"email":"latin1@example.com","name":"Ren\u00e9","country":"DE","currency":"EUR"}',
      "latin1",
    );
    const r = await fetch(`${server.url}/api/v1/customers`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
      body: latin1,
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error.issues).toEqual([
      { field: "(body)", message: "must be UTF-8 text (JSON is UTF-8)" },
    ]);
    expect((await server.api("GET", "/api/v1/customers?email=latin1@example.com")).body.data).toEqual([]);
    // The same body in UTF-8 is taken, "é" and all.
    const utf8 = await server.api("POST", "/api/v1/customers", {
      email: "latin1@example.com",
      name: "Ren\u00e9",
      country: "DE",
      currency: "EUR",
    });
    expect([utf8.status, utf8.body.data.name]).toEqual([201, "Ren\u00e9"]);
  });
});

/** A request saying its body is JSON and sending none, as some clients do on every request. */
async function jsonWithoutBody(method: string, path: string) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe("records that must be kept", () => {
  it("answers 409 when a customer with invoices is deleted, and keeps the customer", async () => {
    const customer = await createSection4Customer(handle);
    await runBilling({
      ctx: billingContext(handle),
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(section4Usage(customer, 1)) },
    });
    const r = await server.api("DELETE", `/api/v1/customers/${customer}`);
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain("has invoices");
    expect((await server.api("GET", `/api/v1/customers/${customer}`)).status).toBe(200);
  });
});
