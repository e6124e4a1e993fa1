import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../helpers/raw-http.ts";
import { type SolusioHarness, startSolusioHarness } from "../helpers/solusio-harness.ts";
import { TEST_ADMIN_KEY } from "../helpers/test-server.ts";

// Bad input is a 4xx, always: every operation of the OpenAPI document, driven with
// generated ids, queries and bodies, never answers 5xx. Runs on PGlite and again on PostgreSQL.

let h: SolusioHarness;
let operations: { method: string; path: string; query: string[]; body: string[] }[];

beforeAll(async () => {
  h = await startSolusioHarness();
  // Real records behind id 1, so generated input also reaches the verbs' deeper checks.
  await h.server.api("POST", "/api/v1/currencies", { code: "USD", token_unit_cost: "0.001" });
  await h.server.api("POST", "/api/v1/customers", {
    email: "fuzz@example.com",
    country: "GB",
    currency: "USD",
  });
  const doc = (await h.server.api("GET", "/api/v1/openapi.json")).body;
  operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name as string),
      body: Object.keys(op.requestBody?.content?.["application/json"]?.schema?.properties ?? {}),
    })),
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Strings that broke or could break a parser, a database driver or a conversion. */
const nasty = fc.oneof(
  fc.constantFrom(
    "0x10",
    "1e3",
    " 5",
    "-1",
    "0",
    "",
    "9".repeat(40),
    "\u0000",
    "a\u0000b",
    "\u001b[31m",
    "\ud800",
    "\u202e",
    "null",
    "NaN",
    "Infinity",
    "%00",
    "../../etc/passwd",
    "'; drop table customer; --",
    "x".repeat(20_000),
  ),
  fc.string({ maxLength: 40, unit: "binary" }),
  fc.string({ maxLength: 10 }),
);
const value = fc.oneof(
  nasty,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

function bodyFor(fields: string[]) {
  return fc.oneof(
    fields.length > 0
      ? fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: fields.length })
      : fc.constant({}),
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(nasty, value, { maxKeys: 4 }),
  );
}

/** Every byte percent-encoded: works for any string, lone surrogates included (they become U+FFFD). */
const percentEncode = (s: string) =>
  [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

describe("no generated input gives a 5xx", () => {
  it("drives every operation with bad ids, queries and bodies", async () => {
    const seen = new Map<number, number>();
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(
          fc.array(nasty, { minLength: 3, maxLength: 3 }),
          fc.dictionary(fc.oneof(fc.constantFrom(...op.query, "page", "per_page"), nasty), nasty, {
            maxKeys: 3,
          }),
          bodyFor(op.body),
          fc.boolean(),
          async (ids, query, body, rawText) => {
            let i = 0;
            const path = op.path.replace(/\{\w+\}/g, () => percentEncode(ids[i++] ?? "1"));
            const qs = new URLSearchParams(query as Record<string, string>).toString();
            const text = rawText && typeof body === "string" ? body : JSON.stringify(body);
            const answer = await rawRequest(h.server.url, {
              method: op.method,
              path: qs ? `${path}?${qs}` : path,
              headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" },
              body: op.method === "GET" || op.method === "HEAD" || op.method === "DELETE" ? undefined : text,
            });
            seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
            if (answer.status >= 500)
              throw new Error(`${op.method} ${path}?${qs} → ${answer.status} ${answer.text}`);
            if (answer.status >= 400) expect(JSON.parse(answer.text).error.code).toBeTypeOf("string");
          },
        ),
        { numRuns: 40 },
      );
    }
    // The generators reach validation (400) and, with input that happens to be valid, the verbs themselves.
    expect(seen.get(400)).toBeGreaterThan(100);
    expect((seen.get(200) ?? 0) + (seen.get(201) ?? 0)).toBeGreaterThan(0);
  }, 600_000);
});
