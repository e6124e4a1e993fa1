import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { startTestServer } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import { createApiKey, revokeApiKey } from "../../services/api-keys/api-keys.ts";
import { pino } from "pino";
import { actors } from "../../kernel/actor.ts";

// The admin REST API over real HTTP: CRUD, pagination, one error envelope, field-named validation errors,
// authentication, the audit log and the OpenAPI document.

const file = serverPerFile();

describe("health", () => {
  it("answers liveness and readiness without a key", async () => {
    const live = await fetch(`${file.server.url}/healthz`);
    expect(await live.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${file.server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("is not ready until the GetTokenPricing index is loaded, when serve asks for that, and loads it then", async () => {
    const warming = await startTestServer(file.handle.db, {}, { warmPricingIndex: true });
    try {
      // Nothing has loaded the index yet (serve calls warmPricingIndex() once its start is done): the probe
      // says so, and starts the load.
      const first = await fetch(`${warming.url}/readyz`);
      expect(first.status).toBe(503);
      expect(await first.json()).toEqual({ status: "unavailable", reason: "pricing index loading" });
      await expect.poll(async () => (await fetch(`${warming.url}/readyz`)).status).toBe(200);
    } finally {
      await warming.close();
    }
  });
});

describe("authentication", () => {
  it("refuses requests without a valid key with 401 in the error envelope", async () => {
    for (const authorization of [undefined, "Bearer wrong-key", "Basic abc", "Bearer tbk_forged"]) {
      const r = await fetch(`${file.server.url}/api/v1/customers`, {
        headers: authorization ? { authorization } : {},
      });
      expect(r.status).toBe(401);
      const body = await r.json();
      expect(body.error.code).toBe("UNAUTHORIZED");
      expect(body.error.requestId).toMatch(/\S/);
    }
  });

  it("accepts keys made by `apikey create` until they are revoked, and never stores them in clear", async () => {
    const logger = pino({ level: "silent" });
    const ctx = systemContext(file.handle, parseConfig({}), logger, actors.system("test"));
    const key = await createApiKey({ ctx, input: { name: "automation" } });
    const stored = await file.handle.db
      .selectFrom("api_key")
      .selectAll()
      .where("id", "=", key.id)
      .executeTakeFirstOrThrow();
    expect(stored.key_hash).not.toContain(key.key);
    const get = () =>
      fetch(`${file.server.url}/api/v1/currencies`, { headers: { authorization: `Bearer ${key.key}` } });
    expect((await get()).status).toBe(200);
    await revokeApiKey({ ctx, input: { id: key.id } });
    expect((await get()).status).toBe(401);
  });
});

describe("currencies", () => {
  it("creates, reads, updates, lists and deletes, keeping the unit cost exact", async () => {
    const created = await file.server.api("POST", "/api/v1/currencies", {
      code: "jpy",
      exponent: 0,
      token_unit_cost: "0.123456789012",
      display_prefix: "¥",
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ code: "JPY", exponent: 0, token_unit_cost: "0.123456789012" });
    const updated = await file.server.api("PATCH", "/api/v1/currencies/JPY", { token_unit_cost: 0.15 });
    expect(updated.body.data.token_unit_cost).toBe("0.15");
    const list = await file.server.api("GET", "/api/v1/currencies");
    expect(list.body.data.map((c: { code: string }) => c.code)).toEqual(["EUR", "JPY", "USD"]);
    expect((await file.server.api("DELETE", "/api/v1/currencies/JPY")).status).toBe(204);
    expect((await file.server.api("GET", "/api/v1/currencies/JPY")).status).toBe(404);
  });

  it("rejects bad values naming the field, and duplicates with 409", async () => {
    const bad = await file.server.api("POST", "/api/v1/currencies", {
      code: "US",
      exponent: 7,
      token_unit_cost: "1e-3",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      "code",
      "exponent",
      "token_unit_cost",
    ]);
    const tooPrecise = await file.server.api("POST", "/api/v1/currencies", {
      code: "ABC",
      exponent: 2,
      token_unit_cost: "0.0000000000001",
    });
    expect(tooPrecise.body.error.issues[0]).toEqual({
      field: "token_unit_cost",
      message: "must have at most 12 decimal places",
    });
    const dup = await file.server.api("POST", "/api/v1/currencies", {
      code: "USD",
      exponent: 2,
      token_unit_cost: "1",
    });
    expect(dup.status).toBe(409);
  });

  it("refuses to delete a currency that customers use", async () => {
    await file.server.api("POST", "/api/v1/customers", {
      email: "eur-user@example.com",
      country: "DE",
      currency: "EUR",
    });
    const r = await file.server.api("DELETE", "/api/v1/currencies/EUR");
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/used by customers/);
  });
});

describe("customers", () => {
  it("gives each customer a numeric id (the billing_user_id) and supports the full lifecycle", async () => {
    const c = await file.server.api("POST", "/api/v1/customers", {
      email: "Alice@Example.com",
      name: "Alice",
      country: "nl",
      currency: "usd",
    });
    expect(c.status).toBe(201);
    expect(Number.isInteger(c.body.data.id)).toBe(true);
    expect(c.body.data).toMatchObject({
      country: "NL",
      currency: "USD",
      status: "active",
      tax_exempt: false,
    });
    const id = c.body.data.id;
    const patched = await file.server.api("PATCH", `/api/v1/customers/${id}`, {
      status: "locked",
      tax_exempt: true,
    });
    expect(patched.body.data).toMatchObject({ status: "locked", tax_exempt: true, name: "Alice" });
    expect((await file.server.api("GET", `/api/v1/customers/${id}`)).body.data.status).toBe("locked");
    expect((await file.server.api("DELETE", `/api/v1/customers/${id}`)).status).toBe(204);
    expect((await file.server.api("DELETE", `/api/v1/customers/${id}`)).status).toBe(404);
  });

  it("keeps a customer's currency once it has been paid: 409 naming currency, the statement unchanged", async () => {
    const c = await file.server.api("POST", "/api/v1/customers", {
      email: "paid-in-usd@example.com",
      country: "US",
      currency: "USD",
    });
    const id = c.body.data.id;
    const paid = await file.server.api("POST", `/api/v1/customers/${id}/payments`, {
      amount: 304,
      reference: "currency-change",
    });
    expect(paid.status).toBe(201);
    const refused = await file.server.api("PATCH", `/api/v1/customers/${id}`, { currency: "EUR" });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: "CONFLICT",
      issues: [
        { field: "currency", message: expect.stringContaining("1 payment and 2 ledger entries in USD") },
      ],
    });
    expect((await file.server.api("GET", `/api/v1/customers/${id}`)).body.data.currency).toBe("USD");
    const statement = await file.server.api("GET", `/api/v1/customers/${id}/statement`);
    expect(statement.body.data).toMatchObject({ currency: "USD", balance: -304, credit: 304 });
  });

  it("keeps e-mails unique regardless of case", async () => {
    await file.server.api("POST", "/api/v1/customers", {
      email: "bob@example.com",
      country: "DE",
      currency: "EUR",
    });
    const dup = await file.server.api("POST", "/api/v1/customers", {
      email: "BOB@example.com",
      country: "DE",
      currency: "EUR",
    });
    expect(dup.status).toBe(409);
  });

  it("names every invalid field, including unknown ones and missing references", async () => {
    const bad = await file.server.api("POST", "/api/v1/customers", {
      email: "nope",
      country: "DEU",
      currency: "EUR",
      colour: "red",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      "colour",
      "country",
      "email",
    ]);
    const ref = await file.server.api("POST", "/api/v1/customers", {
      email: "x@example.com",
      country: "DE",
      currency: "XXX",
    });
    expect(ref.body.error.issues).toEqual([
      { field: "currency", message: "unknown currency XXX; create it first" },
    ]);
    const group = await file.server.api("POST", "/api/v1/customers", {
      email: "y@example.com",
      country: "DE",
      currency: "EUR",
      client_group_id: 999,
    });
    expect(group.body.error.issues[0].field).toBe("client_group_id");
    const badId = await file.server.api("GET", "/api/v1/customers/abc");
    expect(badId.status).toBe(400);
    expect(badId.body.error.issues[0].field).toBe("path.id");
    const badJson = await fetch(`${file.server.url}/api/v1/customers`, {
      method: "POST",
      headers: { authorization: "Bearer test-admin-key-0123456789", "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.code).toBe("VALIDATION");
  });

  it("pages through lists with meta, and filters", async () => {
    for (let i = 0; i < 7; i++) {
      await file.server.api("POST", "/api/v1/customers", {
        email: `page${i}@paging.test`,
        country: "FR",
        currency: "EUR",
      });
    }
    const first = await file.server.api("GET", "/api/v1/customers?email=paging.test&per_page=3");
    expect(first.body.meta).toEqual({
      page: 1,
      per_page: 3,
      total: 7,
      last_page: 3,
      next_cursor: expect.any(String),
    });
    const last = await file.server.api("GET", "/api/v1/customers?email=paging.test&per_page=3&page=3");
    expect(last.body.data).toHaveLength(1);
    const beyond = await file.server.api("GET", "/api/v1/customers?email=paging.test&per_page=3&page=4");
    expect(beyond.body.data).toEqual([]);
    const none = await file.server.api("GET", "/api/v1/customers?email=nobody-matches-this");
    expect(none.body).toEqual({
      data: [],
      meta: { page: 1, per_page: 50, total: 0, last_page: 1, next_cursor: null },
    });
  });
});

describe("client groups, discounts, tax rules", () => {
  it("ties discounts to exactly one owner and validates multipliers", async () => {
    const g = await file.server.api("POST", "/api/v1/client-groups", {
      name: "VIP",
      description: "best customers",
    });
    expect(g.status).toBe(201);
    const both = await file.server.api("POST", "/api/v1/discounts", { name: "x", multiplier: "0.9" });
    expect(both.status).toBe(400);
    expect(both.body.error.issues[0].field).toBe("client_group_id");
    const high = await file.server.api("POST", "/api/v1/discounts", {
      name: "x",
      multiplier: "1.5",
      client_group_id: g.body.data.id,
    });
    expect(high.body.error.issues[0]).toEqual({ field: "multiplier", message: "must be at most 1" });
    const d = await file.server.api("POST", "/api/v1/discounts", {
      name: "VIP",
      multiplier: 0.9,
      client_group_id: g.body.data.id,
    });
    expect(d.body.data.multiplier).toBe("0.9");
    const listed = await file.server.api("GET", `/api/v1/discounts?client_group_id=${g.body.data.id}`);
    expect(listed.body.data).toHaveLength(1);
    // A group with members cannot be deleted; an empty one takes its discounts with it.
    const member = await file.server.api("POST", "/api/v1/customers", {
      email: "vip@example.com",
      country: "DE",
      currency: "EUR",
      client_group_id: g.body.data.id,
    });
    expect((await file.server.api("DELETE", `/api/v1/client-groups/${g.body.data.id}`)).status).toBe(409);
    await file.server.api("PATCH", `/api/v1/customers/${member.body.data.id}`, { client_group_id: null });
    expect((await file.server.api("DELETE", `/api/v1/client-groups/${g.body.data.id}`)).status).toBe(204);
    expect((await file.server.api("GET", `/api/v1/discounts/${d.body.data.id}`)).status).toBe(404);
  });

  it("keeps tax rates ordered, replaces them on update, and allows one default and one rule per place", async () => {
    const r = await file.server.api("POST", "/api/v1/tax-rules", {
      name: "Canada QC",
      country: "CA",
      region: "QC",
      compound: true,
      rates: [
        { label: "GST", rate: "5" },
        { label: "QST", rate: "9.975" },
      ],
    });
    expect(r.status).toBe(201);
    expect(r.body.data.rates).toEqual([
      { label: "GST", rate: "5" },
      { label: "QST", rate: "9.975" },
    ]);
    const same = await file.server.api("POST", "/api/v1/tax-rules", {
      name: "dup",
      country: "CA",
      region: "QC",
      rates: [],
    });
    expect(same.status).toBe(409);
    const u = await file.server.api("PATCH", `/api/v1/tax-rules/${r.body.data.id}`, {
      rates: [{ label: "HST", rate: 13 }],
    });
    expect(u.body.data.rates).toEqual([{ label: "HST", rate: "13" }]);
    const d1 = await file.server.api("POST", "/api/v1/tax-rules", {
      name: "Default",
      is_default: true,
      rates: [],
    });
    expect(d1.status).toBe(201);
    const d2 = await file.server.api("POST", "/api/v1/tax-rules", {
      name: "Default 2",
      is_default: true,
      rates: [],
    });
    expect(d2.status).toBe(409);
    const regionOnly = await file.server.api("POST", "/api/v1/tax-rules", {
      name: "r",
      region: "QC",
      rates: [],
    });
    expect(regionOnly.body.error.issues[0].field).toBe("region");
    const negative = await file.server.api("POST", "/api/v1/tax-rules", {
      name: "n",
      rates: [{ label: "x", rate: "-1" }],
    });
    expect(negative.body.error.issues[0].field).toBe("rates.0.rate");
  });
});

describe("audit log", () => {
  it("records who changed what, with before and after, and lists it through the API", async () => {
    const c = await file.server.api("POST", "/api/v1/customers", {
      email: "audited@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id = String(c.body.data.id);
    await file.server.api("PATCH", `/api/v1/customers/${id}`, { name: "Audited" });
    await file.server.api("DELETE", `/api/v1/customers/${id}`);
    const log = await file.server.api("GET", `/api/v1/audit-log?entity=customer&entity_id=${id}`);
    expect(log.status).toBe(200);
    const [del, upd, cre] = log.body.data;
    expect([cre.action, upd.action, del.action]).toEqual([
      "customer.create",
      "customer.update",
      "customer.delete",
    ]);
    expect(cre).toMatchObject({ actor: "env-admin-key", before: null });
    expect(cre.after.email).toBe("audited@example.com");
    expect(upd.before.name).toBe("");
    expect(upd.after.name).toBe("Audited");
    expect(del.after).toBeNull();
    expect(upd.request_id).toMatch(/^req_/);
  });

  it("does not record a failed change", async () => {
    const before = (await file.server.api("GET", "/api/v1/audit-log?per_page=1")).body.meta.total;
    await file.server.api("POST", "/api/v1/customers", { email: "bad", country: "DE", currency: "EUR" });
    await file.server.api("POST", "/api/v1/currencies", { code: "USD", exponent: 2, token_unit_cost: "1" });
    expect((await file.server.api("GET", "/api/v1/audit-log?per_page=1")).body.meta.total).toBe(before);
  });
});

describe("OpenAPI document", () => {
  it("is served without a key and describes every resource with the schemas the routes validate with", async () => {
    const r = await fetch(`${file.server.url}/api/v1/openapi.json`);
    expect(r.status).toBe(200);
    const doc = await r.json();
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/api/v1/currencies",
      "/api/v1/customers",
      "/api/v1/client-groups",
      "/api/v1/discounts",
      "/api/v1/tax-rules",
    ]) {
      expect(Object.keys(doc.paths[path])).toEqual(["get", "post"]);
      expect(Object.keys(doc.paths[`${path}/{${path.endsWith("currencies") ? "code" : "id"}}`])).toEqual([
        "get",
        "patch",
        "delete",
      ]);
    }
    const create = doc.paths["/api/v1/customers"].post.requestBody.content["application/json"].schema;
    expect(create.required).toEqual(expect.arrayContaining(["email", "country", "currency"]));
    expect(create.additionalProperties).toBe(false);
    expect(doc.paths["/api/v1/pricing/plans"].get.parameters.map((p: { name: string }) => p.name)).toContain(
      "tph",
    );
  });

  it("gives ids and page numbers the integer type alone, never beside a union that reads as anything", async () => {
    const doc = await (await fetch(`${file.server.url}/api/v1/openapi.json`)).json();
    const parameters = (path: string) =>
      Object.fromEntries(
        doc.paths[path].get.parameters.map((p: { name: string; schema: unknown }) => [p.name, p.schema]),
      );
    expect(parameters("/api/v1/customers/{id}")["id"]).toEqual({ type: "integer", minimum: 1 });
    expect(parameters("/api/v1/customers")["per_page"]).toEqual({
      type: "integer",
      minimum: 1,
      maximum: 500,
    });
    const both: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (node === null || typeof node !== "object") return;
      const o = node as Record<string, unknown>;
      if (o["type"] !== undefined && o["anyOf"] !== undefined) both.push(where);
      for (const [key, value] of Object.entries(o)) walk(value, `${where}/${key}`);
    };
    walk(doc, "#");
    expect(both).toEqual([]);
  });
});

describe("pricing calculator through the API", () => {
  it("returns the seed's plan table and rejects fractional tokens", async () => {
    const r = await file.server.api("GET", "/api/v1/pricing/plans?tph=7,14,21,28&currency=USD");
    expect(r.status).toBe(200);
    expect(
      r.body.data.rows.map((x: Record<string, unknown>) => [
        x["tokens_per_hour"],
        x["aggregated_tokens"],
        x["aggregated_price_display"],
        x["suggested_tokens_per_month"],
        x["suggested_price_display"],
      ]),
    ).toEqual([
      [7, 5208, "$5.21", 5000, "$5.00"],
      [14, 10416, "$10.42", 10000, "$10.00"],
      [21, 15624, "$15.62", 15000, "$15.00"],
      [28, 20832, "$20.83", 20000, "$20.00"],
    ]);
    const bad = await file.server.api("GET", "/api/v1/pricing/plans?tph=7.5");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/whole number of tokens/);
  });

  it("returns the seed's conversion scheme", async () => {
    const r = await file.server.api("GET", "/api/v1/pricing/conversion?currency=USD,EUR");
    expect(
      r.body.data.rows.map((x: { amounts: { display: string }[] }) => x.amounts.map((a) => a.display)),
    ).toEqual([
      ["$0.00100", "€0.00091"],
      ["$0.01000", "€0.00910"],
      ["$0.10000", "€0.09100"],
      ["$1.00000", "€0.91000"],
      ["$10.00000", "€9.10000"],
    ]);
  });
});
