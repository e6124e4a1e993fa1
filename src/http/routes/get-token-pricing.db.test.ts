import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { postPricing, startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";

// GetTokenPricing over real HTTP (solusio-api.md §8) with the worked examples of billing-rules §3.

let handle: DatabaseHandle;
let server: TestServer;
let open: TestServer; // a second instance on the same database with no token configured
const TOKEN = "pricing-secret-token";

async function customerWith(opts: {
  currency: string;
  multipliers?: string[];
  taxes?: { compound: boolean; rates: [string, string][] };
  taxExempt?: boolean;
}): Promise<number> {
  const email = `c${Math.random().toString(36).slice(2)}@example.com`;
  // An explicit rule (possibly with no rates) keeps these customers independent of the default rule.
  const taxes = opts.taxes ?? { compound: false, rates: [] };
  const rule = await server.api("POST", "/api/v1/tax-rules", {
    name: `rule for ${email}`,
    compound: taxes.compound,
    rates: taxes.rates.map(([label, rate]) => ({ label, rate })),
  });
  expect(rule.status).toBe(201);
  const taxRuleId: number = rule.body.data.id;
  const created = await server.api("POST", "/api/v1/customers", {
    email,
    country: "GB",
    currency: opts.currency,
    tax_rule_id: taxRuleId,
    tax_exempt: opts.taxExempt ?? false,
  });
  expect(created.status).toBe(201);
  const id: number = created.body.data.id;
  for (const [i, m] of (opts.multipliers ?? []).entries()) {
    const d = await server.api("POST", "/api/v1/discounts", {
      name: `Discount ${i}`,
      description: `${m} multiplier`,
      multiplier: m,
      customer_id: id,
    });
    expect(d.status).toBe(201);
  }
  return id;
}

beforeAll(async () => {
  handle = await createTestDatabase();
  // The fuzz below sends thousands of wrong tokens on purpose; the failure limit has its own test.
  server = await startTestServer(handle.db, {
    SOLUSIO_PRICING_TOKEN: TOKEN,
    AUTH_FAILURES_PER_MINUTE: 100_000,
  });
  open = await startTestServer(handle.db, { PRICING_REFRESH_MS: 0 });
  for (const [code, cost] of [
    ["GBP", "1.34"],
    ["XTS", "1"],
  ]) {
    const r = await server.api("POST", "/api/v1/currencies", {
      code,
      exponent: 2,
      token_unit_cost: cost,
      display_prefix: "£",
      display_suffix: ` ${code}`,
    });
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await server?.close();
  await open?.close();
  await handle?.close();
});

describe("billing-rules §3 worked examples through the endpoint", () => {
  it("B 1.34, M 0.95, compound 6 % and 2 % → U = 1.3763676, with the seed's exact key names", async () => {
    const id = await customerWith({
      currency: "GBP",
      multipliers: ["0.95"],
      taxes: {
        compound: true,
        rates: [
          ["City Tax", "6"],
          ["State Tax", "2"],
        ],
      },
    });
    const r = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      base_token_unit_cost: 1.34,
      user_token_unit_cost: 1.3763676,
      currency: {
        code: "GBP",
        display_prefix: "£",
        display_suffix: " GBP",
        thousands_separator: ",",
        decimals_separator: ".",
        decimals: 2,
      },
      discounts: [{ name: "Discount 0", description: "0.95 multiplier", multipler: 0.95 }],
      taxes: {
        compound: true,
        rates: [
          { label: "City Tax", rate: 6 },
          { label: "State Tax", rate: 2 },
        ],
      },
    });
  });

  it("the same as simple taxes → U = 1.37484", async () => {
    const id = await customerWith({
      currency: "GBP",
      multipliers: ["0.95"],
      taxes: {
        compound: false,
        rates: [
          ["City Tax", "6"],
          ["State Tax", "2"],
        ],
      },
    });
    const r = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) });
    expect(r.body.user_token_unit_cost).toBe(1.37484);
    expect(r.body.taxes.compound).toBe(false);
  });

  it("B 1, no discount, compound 6 % and 2 % → U = 1.0812 (the seed's figure)", async () => {
    const id = await customerWith({
      currency: "XTS",
      taxes: {
        compound: true,
        rates: [
          ["City Tax", "6"],
          ["State Tax", "2"],
        ],
      },
    });
    const r = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) });
    expect(r.body.base_token_unit_cost).toBe(1);
    expect(r.body.user_token_unit_cost).toBe(1.0812);
    expect(r.body.discounts).toEqual([]);
  });

  it("a tax-exempt customer pays B × M and is shown no tax rates", async () => {
    const id = await customerWith({
      currency: "GBP",
      multipliers: ["0.95"],
      taxes: { compound: true, rates: [["City Tax", "6"]] },
      taxExempt: true,
    });
    const r = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) });
    expect(r.body.user_token_unit_cost).toBe(1.273);
    expect(r.body.taxes.rates).toEqual([]);
  });

  it("group discounts apply before the customer's own, all multiplied", async () => {
    const group = await server.api("POST", "/api/v1/client-groups", { name: "Resellers" });
    await server.api("POST", "/api/v1/discounts", {
      name: "Special Client Group Discount",
      description: "5% Recurring Discount",
      multiplier: "0.95",
      client_group_id: group.body.data.id,
    });
    const id = await customerWith({ currency: "XTS", multipliers: ["0.9"] });
    await server.api("PATCH", `/api/v1/customers/${id}`, { client_group_id: group.body.data.id });
    const r = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) });
    expect(r.body.discounts.map((d: { multipler: number }) => d.multipler)).toEqual([0.95, 0.9]);
    expect(r.body.user_token_unit_cost).toBe(0.855);
  });
});

describe("tax rule choice", () => {
  it("picks (country, region), then country, then the default rule", async () => {
    await server.api("POST", "/api/v1/tax-rules", {
      name: "Default",
      is_default: true,
      rates: [{ label: "VAT", rate: "10" }],
    });
    await server.api("POST", "/api/v1/tax-rules", {
      name: "US",
      country: "US",
      rates: [{ label: "Federal", rate: "1" }],
    });
    await server.api("POST", "/api/v1/tax-rules", {
      name: "US-NY",
      country: "US",
      region: "NY",
      rates: [{ label: "NY", rate: "4" }],
    });
    const make = async (country: string, region: string | null) => {
      const c = await server.api("POST", "/api/v1/customers", {
        email: `${country}${region}${Math.random()}@example.com`,
        country,
        region,
        currency: "XTS",
      });
      const r = await postPricing(server.url, {
        token: TOKEN,
        action: "GetTokenPricing",
        userid: String(c.body.data.id),
      });
      return r.body.taxes.rates.map((x: { label: string }) => x.label);
    };
    expect(await make("US", "NY")).toEqual(["NY"]);
    expect(await make("US", "CA")).toEqual(["Federal"]);
    expect(await make("DE", null)).toEqual(["VAT"]);
  });
});

describe("protocol and errors", () => {
  it("accepts JSON bodies and the token as a Bearer header", async () => {
    const id = await customerWith({ currency: "XTS" });
    const r = await fetch(`${server.url}/solusio/api`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ action: "GetTokenPricing", userid: id }),
    });
    expect(r.status).toBe(200);
    expect((await r.json()).user_token_unit_cost).toBe(1);
  });

  it("answers 401 for a wrong or missing token, 400 for bad action or userid, 404 for an unknown customer", async () => {
    const id = String(await customerWith({ currency: "XTS" }));
    expect(
      (await postPricing(server.url, { token: "nope", action: "GetTokenPricing", userid: id })).status,
    ).toBe(401);
    expect((await postPricing(server.url, { action: "GetTokenPricing", userid: id })).status).toBe(401);
    const badAction = await postPricing(server.url, { token: TOKEN, action: "GetPrices", userid: id });
    expect(badAction.status).toBe(400);
    expect(badAction.body.error.issues[0].field).toBe("action");
    for (const userid of ["", "abc", "-1", "0", "1.5", "1e3", "99999999999999999999"]) {
      const r = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid });
      expect(r.status, `userid=${userid}`).toBe(400);
      expect(r.body.error.issues[0].field).toBe("userid");
    }
    expect((await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing" })).status).toBe(400);
    const unknown = await postPricing(server.url, {
      token: TOKEN,
      action: "GetTokenPricing",
      userid: "987654",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
  });

  it("needs no token when none is configured", async () => {
    const id = String(await customerWith({ currency: "XTS" }));
    expect((await postPricing(open.url, { action: "GetTokenPricing", userid: id })).status).toBe(200);
  });

  it("answers 405 with Allow: POST to other methods", async () => {
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const r = await fetch(`${server.url}/solusio/api`, { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.get("allow")).toBe("POST");
      expect((await r.json()).error.code).toBe("METHOD_NOT_ALLOWED");
    }
  });

  it("answers thousands of malformed bodies with 2xx/4xx JSON only, never a 5xx", async () => {
    const contentTypes = [
      "application/x-www-form-urlencoded",
      "application/json",
      "text/plain",
      "multipart/form-data; boundary=x",
      "",
    ];
    const field = fc.oneof(
      fc.string(),
      fc.constantFrom("GetTokenPricing", "1", "0", "-1", TOKEN, "%", "%%", "[]", "{}", "1".repeat(40)),
    );
    const formBody = fc
      .dictionary(
        fc.constantFrom("token", "action", "userid", "userid[]", "x", "__proto__", "constructor"),
        field,
      )
      .map((d) =>
        Object.entries(d)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join("&"),
      );
    const body = fc.oneof(formBody, fc.string(), fc.json(), fc.constant('{"userid":{"__proto__":1}}'));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(...contentTypes), async (payload, type) => {
        const r = await fetch(`${server.url}/solusio/api`, {
          method: "POST",
          headers: type ? { "content-type": type } : {},
          body: payload,
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const text = await r.text();
        expect(r.status).toBeGreaterThanOrEqual(200);
        expect(r.status).toBeLessThan(500);
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
    // The generator must reach the interesting answers, or the test proves little.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
  });
});

describe("fields it does not know (solusio-api.md §8)", () => {
  // The SolusVM docs say SolusIO sends "the user ID and a number of tokens the feature costs": whatever else
  // comes along is ignored, never refused; the three fields it knows stay validated.
  const extras = { tokens: "5000", amount: "12.50", currency: "EUR", "feature[name]": "backups", x: "" };

  it("answers a form body with extra fields exactly as one without them", async () => {
    const id = String(await customerWith({ currency: "GBP", multipliers: ["0.95"] }));
    const plain = await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: id });
    const extra = await postPricing(server.url, {
      token: TOKEN,
      action: "GetTokenPricing",
      userid: id,
      ...extras,
    });
    expect(plain.status).toBe(200);
    expect(extra.status).toBe(200);
    expect(extra.body).toEqual(plain.body);
    expect(extra.body.user_token_unit_cost).toBe(1.273);
  });

  it("answers a JSON body with extra fields of any type exactly as one without them", async () => {
    const id = await customerWith({ currency: "GBP", multipliers: ["0.95"] });
    const ask = async (body: Record<string, unknown>) => {
      const r = await fetch(`${server.url}/solusio/api`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: TOKEN, action: "GetTokenPricing", userid: id, ...body }),
      });
      return { status: r.status, body: await r.json() };
    };
    const plain = await ask({});
    const extra = await ask({
      tokens: 5000,
      amount: 12.5,
      feature: { name: "backups" },
      ids: [1, 2],
      x: null,
    });
    expect(plain.status).toBe(200);
    expect(extra.status).toBe(200);
    expect(extra.body).toEqual(plain.body);
  });

  it("still validates token, action and userid when extra fields come with them", async () => {
    const id = String(await customerWith({ currency: "XTS" }));
    const wrongToken = await postPricing(server.url, {
      token: "nope",
      action: "GetTokenPricing",
      userid: id,
      ...extras,
    });
    expect(wrongToken.status).toBe(401);
    const badAction = await postPricing(server.url, { token: TOKEN, action: "Price", userid: id, ...extras });
    expect(badAction.status).toBe(400);
    expect(badAction.body.error.issues.map((i: { field: string }) => i.field)).toEqual(["action"]);
    const badUser = await postPricing(server.url, {
      token: TOKEN,
      action: "GetTokenPricing",
      userid: "5000 tokens",
      ...extras,
    });
    expect(badUser.status).toBe(400);
    expect(badUser.body.error.issues.map((i: { field: string }) => i.field)).toEqual(["userid"]);
  });
});

describe("freshness after admin changes", () => {
  it("an admin change is seen at once by the instance that made it, despite the cache", async () => {
    const id = await customerWith({ currency: "XTS" });
    const ask = async () =>
      (await postPricing(server.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) })).body;
    expect((await ask()).user_token_unit_cost).toBe(1);
    await server.api("POST", "/api/v1/discounts", { name: "Half", multiplier: "0.5", customer_id: id });
    expect((await ask()).user_token_unit_cost).toBe(0.5);
  });

  it("another instance on the same database sees the change within its cache TTL", async () => {
    const other = await startTestServer(handle.db, {
      PRICING_REFRESH_MS: 100,
      SOLUSIO_PRICING_TOKEN: TOKEN,
    });
    try {
      const id = await customerWith({ currency: "XTS" });
      const ask = async () =>
        (await postPricing(other.url, { token: TOKEN, action: "GetTokenPricing", userid: String(id) })).body;
      expect((await ask()).user_token_unit_cost).toBe(1);
      await server.api("POST", "/api/v1/discounts", { name: "Quarter", multiplier: "0.25", customer_id: id });
      await expect.poll(async () => (await ask()).user_token_unit_cost, { interval: 25 }).toBe(0.25);
    } finally {
      await other.close();
    }
  });
});
