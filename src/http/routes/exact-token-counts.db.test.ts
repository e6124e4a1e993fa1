import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { TEST_ADMIN_KEY } from "../../../test/helpers/test-server.ts";

// Token counts over real HTTP: a JSON integer while exact (below 2^53), a string of digits beyond, as money
// amounts are (src/kernel/json.ts). QA found plan prices of 9223372036854775807 answered as
// 9223372036854776000 and the calculator answering 6.862188795419953e+21.

const file = serverPerFile();

/** The answer's text as sent: JSON.parse would turn a number beyond 2^53 into another number. */
async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(file.server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

const MAX = "9223372036854775807";

describe("plan prices", () => {
  it("answers token prices beyond 2^53 as their digits, and smaller ones as JSON integers", async () => {
    const created = await raw("POST", "/api/v1/plan-prices", {
      plan_name: "QA huge",
      tokens_per_hour: MAX,
      tokens_per_month: MAX,
      ip_tokens_per_hour: "9007199254740992",
      ip_tokens_per_month: 9007199254740991,
    });
    expect(created.status).toBe(201);
    const tokens = `"tokens_per_hour":"${MAX}","tokens_per_month":"${MAX}","ip_tokens_per_hour":"9007199254740992","ip_tokens_per_month":9007199254740991`;
    expect(created.text).toContain(tokens);
    const id = JSON.parse(created.text).data.id;
    expect((await raw("GET", `/api/v1/plan-prices/${id}`)).text).toContain(tokens);
    expect((await raw("GET", "/api/v1/plan-prices")).text).toContain(tokens);
    const patched = await raw("PATCH", `/api/v1/plan-prices/${id}`, { tokens_per_hour: 7 });
    expect(patched.text).toContain(`"tokens_per_hour":7,"tokens_per_month":"${MAX}"`);
    expect((await raw("DELETE", `/api/v1/plan-prices/${id}`)).status).toBe(204);
  });

  it("still refuses more than PostgreSQL's bigint, naming the field", async () => {
    const r = await file.server.api("POST", "/api/v1/plan-prices", {
      plan_name: "Too big",
      tokens_per_hour: "9223372036854775808",
      tokens_per_month: 0,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([
      { field: "tokens_per_hour", message: `must be at most ${MAX} tokens` },
    ]);
  });
});

describe("the plan table calculator", () => {
  it("refuses a tph whose month cannot be stored with a 400 naming tph, not a float (the QA case)", async () => {
    const r = await file.server.api("GET", `/api/v1/pricing/plans?tph=${MAX}`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("VALIDATION");
    expect(r.body.error.issues).toEqual([
      {
        field: "query.tph",
        message: `must be at most 12397005425880075 (got ${MAX}): its month (× 744) must stay within ${MAX} tokens, what a plan price can hold`,
      },
    ]);
  });

  it("answers months beyond 2^53 as digits, exactly", async () => {
    const r = await raw("GET", "/api/v1/pricing/plans?tph=7,12397005425880075&currency=USD");
    expect(r.status).toBe(200);
    expect(r.text).toContain(
      '"tokens_per_hour":7,"aggregated_tokens":5208,"aggregated_price":"5.208","aggregated_price_display":"$5.21","suggested_tokens_per_month":5000,',
    );
    expect(r.text).toContain(
      '"tokens_per_hour":"12397005425880075","aggregated_tokens":"9223372036854775800","aggregated_price":"9223372036854775.8",',
    );
    expect(r.text).toContain('"suggested_tokens_per_month":"9000000000000000000"');
    expect(r.text).not.toMatch(/e\+\d/);
  });
});

describe("the OpenAPI document", () => {
  it("says token counts are JSON integers below 2^53 and strings of digits beyond", async () => {
    const doc = await (await fetch(`${file.server.url}/api/v1/openapi.json`)).json();
    const answer = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content["application/json"].schema.properties.data;
    const described = (schema: { type?: string; description?: string }) =>
      schema.type === "integer" && /a string of digits beyond 2\^53/.test(schema.description ?? "");
    const price = answer("/api/v1/plan-prices/{id}", "get", "200").properties;
    for (const field of ["tokens_per_hour", "tokens_per_month", "ip_tokens_per_hour", "ip_tokens_per_month"])
      expect(described(price[field]), field).toBe(true);
    const input = doc.paths["/api/v1/plan-prices"].post.requestBody.content["application/json"].schema;
    expect(input.properties.tokens_per_hour.description).toMatch(/a string of digits/);
    const row = answer("/api/v1/pricing/plans", "get", "200").properties.rows.items.properties;
    for (const field of ["tokens_per_hour", "aggregated_tokens", "suggested_tokens_per_month"])
      expect(described(row[field]), field).toBe(true);
    const invoice = answer("/api/v1/invoices/{id}", "get", "200").properties;
    expect(described(invoice.tokens), "invoice tokens").toBe(true);
    for (const field of ["tokens", "recomputed_tokens"])
      expect(described(invoice.lines.items.properties[field]), `line ${field}`).toBe(true);
  });
});
