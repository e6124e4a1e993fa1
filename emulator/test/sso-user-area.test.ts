import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, setClock, startTestEmulator } from "./helpers.ts";
import { type PricingStub, startPricingStub } from "./pricing-stub.ts";

let em: RunningEmulator;
let stub: PricingStub;
beforeAll(async () => {
  stub = await startPricingStub();
  em = await startTestEmulator({ seed: BASIC_SEED, billingTimeoutMs: 300 });
});
afterAll(async () => {
  await em.close();
  await stub.close();
});
beforeEach(async () => {
  await reset(em);
  stub.mode = "ok";
  stub.requests = [];
  await client(em).patch("settings", {
    billing_integration: { type: "custom", drivers: { custom: { url: stub.url, token: "billing-secret" } } },
  });
});

async function mint(userId = 5, isOneTime = true): Promise<string> {
  const res = await client(em).post(`users/${userId}/tokens`, { is_one_time: isOneTime });
  return res.body.data.access_token;
}

async function login(userId = 5): Promise<string> {
  const res = await fetch(`${em.url}/auth/by_token/${await mint(userId)}`, { redirect: "manual" });
  expect(res.status).toBe(302);
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] ?? "";
}

async function userArea(cookie: string) {
  const res = await fetch(`${em.url}/`, { headers: { cookie } });
  return { status: res.status, html: await res.text(), type: res.headers.get("content-type") };
}

describe("single sign-on", () => {
  it("a one-time token logs in once: 302 to the user area with an HttpOnly session cookie, then 401", async () => {
    const token = await mint();
    const first = await fetch(`${em.url}/auth/by_token/${token}`, { redirect: "manual" });
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe("/");
    expect(first.headers.get("set-cookie")).toMatch(
      /^solusio_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Lax/,
    );
    const again = await fetch(`${em.url}/auth/by_token/${token}`, { redirect: "manual" });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain("already used");
  });

  it("an unknown or expired token is 401", async () => {
    expect((await fetch(`${em.url}/auth/by_token/nope`, { redirect: "manual" })).status).toBe(401);
    const token = await mint();
    await setClock(em, { advance_hours: 2 });
    expect((await fetch(`${em.url}/auth/by_token/${token}`, { redirect: "manual" })).status).toBe(401);
  });

  it("a consumed one-time token no longer works as a Bearer token either", async () => {
    const token = await mint();
    expect((await client(em, token).get("account")).status).toBe(200);
    await fetch(`${em.url}/auth/by_token/${token}`, { redirect: "manual" });
    expect((await client(em, token).get("account")).status).toBe(401);
  });

  it("the user area without a session is 401; logging out ends the session", async () => {
    expect((await userArea("")).status).toBe(401);
    const cookie = await login();
    expect((await userArea(cookie)).status).toBe(200);
    const out = await fetch(`${em.url}/logout`, { method: "POST", headers: { cookie }, redirect: "manual" });
    expect(out.status).toBe(303);
    expect((await userArea(cookie)).status).toBe(401);
  });
});

describe("the user area", () => {
  it("shows the user's servers with state and hours this month", async () => {
    await client(em).post("servers", { name: "web-1", plan: 1, location: 1, user: 5 });
    await client(em).post("servers", { name: "db-1", plan: 4, location: 1, user: 5 });
    await client(em).post("servers/2/stop");
    await client(em).post("servers", { name: "not-mine", plan: 1, location: 1, user: 6 });
    await setClock(em, { advance_hours: 12.5 });
    const page = await userArea(await login());
    expect(page.type).toContain("text/html");
    expect(page.html).toContain("alice@example.com");
    expect(page.html).toMatch(
      /<td>web-1<\/td><td class="status-started">started<\/td>.*?<td class="num">13<\/td>/,
    );
    expect(page.html).toMatch(/<td>db-1<\/td><td class="status-stopped">stopped<\/td>/);
    expect(page.html).not.toContain("not-mine");
  });

  it("asks GetTokenPricing with a form POST and shows tokens × user_token_unit_cost in the currency's format", async () => {
    const page = await userArea(await login());
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]?.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(stub.requests[0]?.body))).toEqual({
      token: "billing-secret",
      action: "GetTokenPricing",
      userid: "42",
    });
    // 7 × 1.0812 = 7.5684 → £7.57; 5000 × 1.0812 = 5406 → £5,406.00
    expect(page.html).toMatch(/data-plan-id="1".*?£7\.57 GBP.*?£5,406\.00 GBP/);
    // 28 × 1.0812 = 30.2736; 20000 × 1.0812 = 21624
    expect(page.html).toMatch(/data-plan-id="4".*?£30\.27 GBP.*?£21,624\.00 GBP/);
    // A plan without a monthly price shows a 744-hour month: 7 × 744 × 1.0812 = 5630.9
    expect(page.html).toMatch(/data-plan-id="2".*?£5,630\.89 GBP/);
    expect(page.html).not.toContain('data-plan-id="5"');
    expect(page.html).toContain("Special Client Group Discount");
    expect(page.html).toContain("City Tax: 6 %");
    expect(page.html).toContain("Taxes (compound)");
  });

  it("sends no token field when none is configured, and honours an extra decimals key", async () => {
    await client(em).patch("settings", {
      billing_integration: { drivers: { custom: { url: stub.url, token: null } } },
    });
    stub.answer = { ...(stub.answer as object), currency: { code: "USD", display_prefix: "$", decimals: 3 } };
    try {
      const page = await userArea(await login());
      expect(new URLSearchParams(stub.requests[0]?.body).has("token")).toBe(false);
      expect(page.html).toContain("$7.568");
    } finally {
      stub.answer = (await import("./pricing-stub.ts")).SEED_PRICING;
    }
  });

  it.each(["error500", "not-json", "malformed", "hang"] as const)(
    "still renders when the billing system answers %s",
    async (mode) => {
      stub.mode = mode;
      const page = await userArea(await login());
      expect(page.status).toBe(200);
      expect(page.html).toContain('id="prices-unavailable"');
      expect(page.html).toContain("Prices are unavailable");
      expect(page.html).toContain("1 Core, 1 GB RAM");
    },
  );

  it("still renders when the billing system is unreachable or not configured, or the user is not linked", async () => {
    await client(em).patch("settings", {
      billing_integration: { drivers: { custom: { url: "http://127.0.0.1:9/x", token: null } } },
    });
    expect((await userArea(await login())).html).toContain("cannot be reached");
    await client(em).patch("settings", { billing_integration: null });
    expect((await userArea(await login())).html).toContain("no billing system is connected");
    await client(em).patch("settings", {
      billing_integration: { type: "custom", drivers: { custom: { url: stub.url, token: "t" } } },
    });
    await client(em).put("users/5", { billing_user_id: null });
    expect((await userArea(await login())).html).toContain("Prices are unavailable");
    expect(stub.requests).toHaveLength(0);
  });

  it("escapes everything it shows", async () => {
    await client(em).post("servers", {
      name: `<img src=x onerror="alert(1)">`,
      plan: 1,
      location: 1,
      user: 5,
    });
    stub.answer = { ...(stub.answer as object), currency: { code: "GBP", display_prefix: "<b>£</b>" } };
    try {
      const html = (await userArea(await login())).html;
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
      expect(html).toContain("&lt;b&gt;£&lt;/b&gt;7.57");
    } finally {
      stub.answer = (await import("./pricing-stub.ts")).SEED_PRICING;
    }
  });

  it("tells a suspended user so", async () => {
    await client(em).put("users/5", { status: "suspended" });
    expect((await userArea(await login())).html).toContain("Your account is suspended");
  });
});

describe("plan.price through the billing integration", () => {
  it("is filled for a user viewing plans: strings, currency code, taxes", async () => {
    const res = await client(em, "alice-token-0123456789").get("plans/1");
    expect(res.body.data.price).toEqual({
      per_hour: "7.57",
      per_month: "5406.00",
      additional_ips_per_hour: "1.08",
      additional_ips_per_month: "540.60",
      currency_code: "GBP",
      taxes_inclusive: true,
      taxes: [
        { label: "City Tax", rate: 6 },
        { label: "State Tax", rate: 2 },
      ],
      total_price: "5406.00",
      total_price_without_backups: "5406.00",
      // A month of paid backups: 5000 tokens × 10 % × 1.0812.
      backup_price: "540.60",
    });
    const list = await client(em, "alice-token-0123456789").get("plans");
    expect(list.body.data.every((p: { price: unknown }) => p.price !== null)).toBe(true);
    expect(stub.requests).toHaveLength(2);
  });

  it("is null for a viewer without billing_user_id, and when the billing system fails (the list still works)", async () => {
    expect((await client(em).get("plans/1")).body.data.price).toBeNull();
    stub.mode = "error500";
    const res = await client(em, "alice-token-0123456789").get("plans");
    expect(res.status).toBe(200);
    expect(res.body.data[0].price).toBeNull();
  });
});
