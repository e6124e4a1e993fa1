import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggerOptions } from "../../src/logger.ts";
import { runDoctor } from "../../src/services/setup/doctor.ts";
import { applySetup, planSetup } from "../../src/services/setup/plan-setup.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";
import { startTestServer, TEST_ADMIN_KEY } from "../helpers/test-server.ts";

// Seed steps 3, 4, 5, 7 (setup, doctor) and 9 (single sign-on) against the emulator over real HTTP.

let h: SolusioHarness;
let customerId: number;

beforeAll(async () => {
  // The 503s below are retried 5 times: at a 10 ms first wait rather than 200 ms, some 0.3 s a call, not 3–6 s.
  h = await startSolusioHarness({
    SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests",
    SOLUSIO_RETRY_BACKOFF_MS: 10,
  });
  h.runner.start();
  const c = await h.server.api("POST", "/api/v1/customers", {
    email: "sso@example.com",
    country: "GB",
    currency: "USD",
  });
  customerId = c.body.data.id;
  await waitForJobs(h.db);
});
afterAll(async () => h?.close());

describe("single sign-on", () => {
  it("returns a one-time user-area URL that logs the browser in once", async () => {
    const r = await h.server.api("POST", `/api/v1/customers/${customerId}/sso`);
    expect(r.status).toBe(200);
    const url: string = r.body.data.url;
    expect(url.startsWith(`${h.emulator.url}/auth/by_token/`)).toBe(true);
    const login = await fetch(url, { redirect: "manual" });
    expect(login.status).toBe(302);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const area = await fetch(new URL(login.headers.get("location")!, h.emulator.url), {
      headers: { cookie },
    });
    expect(area.status).toBe(200);
    expect(await area.text()).toContain("sso@example.com");
    expect((await fetch(url, { redirect: "manual" })).status).toBe(401);
  });

  it("follows a signed tokenbill link through to the user area; tampered or expired links get a refusal page", async () => {
    const link = await h.server.api("POST", `/api/v1/customers/${customerId}/sso-link`);
    const path = new URL(link.body.data.url).pathname + new URL(link.body.data.url).search;
    const hop = await fetch(h.server.url + path, { redirect: "manual" });
    expect(hop.status).toBe(302);
    expect(hop.headers.get("location")).toMatch(/\/auth\/by_token\//);
    const tampered = await fetch(h.server.url + path.replace(`customer=${customerId}`, "customer=999"), {
      redirect: "manual",
    });
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain("not valid");
    const expired = await fetch(`${h.server.url}/sso/solusio?customer=${customerId}&expires=1000&sig=abc`, {
      redirect: "manual",
    });
    expect(expired.status).toBe(403);
  });

  it("logs in once per signed link, only for its own customer, only within its lifetime", async () => {
    const link = new URL(
      (await h.server.api("POST", `/api/v1/customers/${customerId}/sso-link`)).body.data.url,
    );
    const path = link.pathname + link.search;
    const [first, second] = await Promise.all([
      fetch(h.server.url + path, { redirect: "manual" }),
      fetch(h.server.url + path, { redirect: "manual" }),
    ]);
    expect([first.status, second.status].sort()).toEqual([302, 403]);
    const again = await fetch(h.server.url + path, { redirect: "manual" });
    expect(again.status).toBe(403);
    expect(await again.text()).toContain("already used");
    // Another customer's id, or another nonce, under this link's signature: not valid.
    const fresh = new URL(
      (await h.server.api("POST", `/api/v1/customers/${customerId}/sso-link`)).body.data.url,
    );
    for (const [key, value] of [
      ["customer", String(customerId + 1)],
      ["nonce", "A".repeat(22)],
      ["expires", String(Number(fresh.searchParams.get("expires")) + 600)],
    ] as const) {
      const forged = new URL(fresh);
      forged.searchParams.set(key, value);
      const answer = await fetch(h.server.url + forged.pathname + forged.search, { redirect: "manual" });
      expect(answer.status, key).toBe(403);
      expect(await answer.text()).toContain("not valid");
    }
    // The untouched link still works: the forgeries did not use it up.
    expect((await fetch(h.server.url + fresh.pathname + fresh.search, { redirect: "manual" })).status).toBe(
      302,
    );
  });

  it("lets a locked customer in and refuses a suspended one with a clear page", async () => {
    await h.server.api("PATCH", `/api/v1/customers/${customerId}`, { status: "locked" });
    await waitForJobs(h.db);
    expect((await h.server.api("POST", `/api/v1/customers/${customerId}/sso`)).status).toBe(200);
    await h.server.api("PATCH", `/api/v1/customers/${customerId}`, { status: "suspended" });
    await waitForJobs(h.db);
    const api = await h.server.api("POST", `/api/v1/customers/${customerId}/sso`);
    expect(api.status).toBe(403);
    expect(api.body.error.message).toMatch(/suspended/);
    const link = await h.server.api("POST", `/api/v1/customers/${customerId}/sso-link`);
    const page = await fetch(
      h.server.url + new URL(link.body.data.url).pathname + new URL(link.body.data.url).search,
      { redirect: "manual" },
    );
    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("suspended");
    await h.server.api("PATCH", `/api/v1/customers/${customerId}`, { status: "active" });
    await waitForJobs(h.db);
  });
});

describe("single sign-on while SolusIO fails", () => {
  it("shows the customer one plain sentence with 503 and Retry-After, and logs SolusIO's own error", async () => {
    const logLines: { level: number; msg: string; reason?: string }[] = [];
    const logs = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n")) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    const server = await startTestServer(
      h.db,
      { SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests" },
      { solusio: h.integration, logger: pino(loggerOptions({ LOG_LEVEL: "warn" }), logs) },
    );
    const open = async () => {
      const link = new URL(
        (await server.api("POST", `/api/v1/customers/${customerId}/sso-link`)).body.data.url,
      );
      const answer = await fetch(server.url + link.pathname + link.search, { redirect: "manual" });
      return {
        status: answer.status,
        retryAfter: answer.headers.get("retry-after"),
        text: await answer.text(),
      };
    };
    try {
      const faults = [
        // A proxy in front of SolusIO answers for it, naming a host of the provider's network.
        {
          path: "/api/v1/users/*/tokens",
          methods: ["POST"],
          error_rate: 1,
          error_status: 502,
          error_body: "html",
        },
        { path: "/api/v1/users/*", methods: ["GET"], error_rate: 1, error_status: 503 },
      ];
      for (const fault of faults) {
        await h.emu("POST", "/_emulator/faults", { rules: [fault] });
        logLines.length = 0;
        const page = await open();
        expect(page.status, fault.path).toBe(503);
        expect(page.retryAfter).toBe("5");
        expect(page.text).toContain("The control panel cannot be reached right now. Try again in a minute.");
        expect(page.text).not.toMatch(/SolusIO|users\/|nginx|html&gt;|50[23]/);
        // The operator reads what SolusIO said; nothing is logged as our own error.
        const warned = logLines.filter((l) => l.msg === "upstream unavailable");
        expect(warned).toHaveLength(1);
        expect(warned[0]!.reason).toMatch(
          fault.error_body ? /POST users\/\d+\/tokens: 502/ : /GET users\/\d+: 503/,
        );
        expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
      }
      // The staff's door keeps SolusIO's words (still 503 with Retry-After).
      const api = await server.api("POST", `/api/v1/customers/${customerId}/sso`);
      expect(api.status).toBe(503);
      expect(api.body.error.message).toMatch(/GET users\/\d+: 503/);
      // Once SolusIO answers again, a new link logs in.
      await h.emu("DELETE", "/_emulator/faults");
      expect((await open()).status).toBe(302);
    } finally {
      await h.emu("DELETE", "/_emulator/faults");
      await server.close();
    }
  });
});

describe("setup and doctor", () => {
  it("answers the doctor's GET over the admin API, and HEAD 405 without calling SolusIO", async () => {
    const get = await h.server.api("GET", "/api/v1/solusio/doctor");
    expect(get.status).toBe(200);
    expect(get.body.data.map((c: { name: string }) => c.name)).toContain("connection");
    // A HEAD ran every check against SolusIO to send no body (QA, 2026-12-06).
    const head = await fetch(`${h.server.url}/api/v1/solusio/doctor`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(head.status).toBe(405);
    expect(head.headers.get("allow")).toMatch(/\bGET\b/);
  });

  it("finds a fresh (misconfigured) SolusIO wrong, fixes it with setup, and then doctor is clean", async () => {
    const config = {
      ...h.config,
      TOKENBILL_PUBLIC_URL: h.server.url,
      SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests",
    };
    await h.emu("POST", "/api/v1/plans", {
      name: "1 Core, 1 GB RAM",
      tokens_per_hour: 1,
      tokens_per_month: 1,
    });
    await h.server.api("POST", "/api/v1/plan-prices", {
      plan_name: "1 Core, 1 GB RAM",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
    });
    await h.server.api("POST", "/api/v1/plan-prices", {
      plan_name: "Not in SolusIO",
      tokens_per_hour: 1,
      tokens_per_month: 0,
    });
    // Every PATCH settings body setup sends, passed on to the emulator unchanged.
    const patches: Record<string, unknown>[] = [];
    const api = Object.create(h.connection.api) as typeof h.connection.api;
    api.patchSettings = (patch) => {
      patches.push(patch);
      return h.connection.api.patchSettings(patch);
    };
    const featuresBefore = (await h.emu("GET", "/api/v1/settings")).body.data.features;
    const deps = {
      db: h.db,
      api,
      config,
      apiUrl: h.emulator.apiUrl,
      userAreaUrl: h.emulator.url,
    };
    const before = await runDoctor(deps);
    const failing = before.filter((c) => !c.ok).map((c) => c.name);
    expect(failing).toEqual(
      expect.arrayContaining([
        "registration off",
        "billing integration",
        "limit_group Default",
        "plan prices",
      ]),
    );
    expect(before.find((c) => c.name === "connection")!.ok).toBe(true);
    // A fresh SolusIO already gives new users its one limit group, "Default" (solusio-api.md §10): only
    // that group's limits differ from SOLUSIO_LIMIT_GROUPS.
    expect(before.find((c) => c.name === "default limit group")!.ok).toBe(true);

    const plan = await planSetup(deps);
    expect(plan.steps.map((s) => s.key)).toEqual([
      "registration",
      "billing_integration",
      "limit_group:Default",
      "plan:1 Core, 1 GB RAM",
    ]);
    expect(plan.warnings).toEqual([
      'plan "Not in SolusIO" has a price in tokenbill but does not exist in SolusIO',
    ]);
    await applySetup(plan);
    expect((await planSetup(deps)).steps).toEqual([]);
    // Its own fix alone: it was followed by the fix of a price SolusIO cannot take exactly (until 2026-12-06).
    expect((await runDoctor(deps)).find((c) => c.name === "plan prices")).toMatchObject({
      ok: false,
      fix: "create the plan in SolusIO or remove its price",
    });
    // solusio-api.md §7: whether PATCH merges `features` is unverified, so the whole object goes back with
    // only allow_registration changed (the emulator merges, so only the body itself can show it).
    expect(Object.keys(featuresBefore).length).toBe(7);
    expect(patches.find((p) => "features" in p)).toEqual({
      features: { ...featuresBefore, allow_registration: false },
    });

    const settings = (await h.emu("GET", "/api/v1/settings")).body.data;
    expect(settings.features.allow_registration).toBe(false);
    expect(settings.billing_integration.drivers.custom.url).toBe(`${h.server.url}/solusio/api`);
    expect(settings.limit_group.name).toBe("Default");
    const solusioPlan = (await h.emu("GET", "/api/v1/plans")).body.data.find(
      (p: { name: string }) => p.name === "1 Core, 1 GB RAM",
    );
    expect(solusioPlan).toMatchObject({ tokens_per_hour: 7, tokens_per_month: 5000 });
    const register = await fetch(`${h.emulator.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "self@example.com", password: "pw-123456" }),
    });
    expect(register.status).toBeGreaterThanOrEqual(400);

    await h.server.api(
      "DELETE",
      `/api/v1/plan-prices/${(await h.server.api("GET", "/api/v1/plan-prices")).body.data[1].id}`,
    );
    const after = await runDoctor(deps);
    expect(after.filter((c) => !c.ok)).toEqual([]);
  });

  it("does not push a token price beyond 2^53 − 1 to SolusIO, where it would arrive as another number", async () => {
    const config = {
      ...h.config,
      TOKENBILL_PUBLIC_URL: h.server.url,
      SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests",
    };
    const deps = {
      db: h.db,
      api: h.connection.api,
      config,
      apiUrl: h.emulator.apiUrl,
      userAreaUrl: h.emulator.url,
    };
    await h.emu("POST", "/api/v1/plans", { name: "Huge", tokens_per_hour: 1, tokens_per_month: 0 });
    const price = await h.server.api("POST", "/api/v1/plan-prices", {
      plan_name: "Huge",
      tokens_per_hour: "9007199254740993",
      tokens_per_month: 0,
    });
    try {
      // Before, setup sent Number(9007199254740993n) = 9007199254740992: SolusIO would have charged another price.
      const plan = await planSetup(deps);
      expect(plan.steps.filter((s) => s.key.startsWith("plan:"))).toEqual([]);
      expect(plan.warnings).toContain(
        'plan "Huge" is not priced in SolusIO: its tokens_per_hour is 9007199254740993 tokens, and SolusIO\'s plans take token prices as JSON numbers, exact only up to 9007199254740991',
      );
      const check = (await runDoctor(deps)).find((c) => c.name === "plan prices");
      expect(check).toMatchObject({
        ok: false,
        fix: "lower a token price beyond 9007199254740991, which SolusIO cannot take exactly",
      });
      await h.server.api("PATCH", `/api/v1/plan-prices/${price.body.data.id}`, {
        tokens_per_hour: 9007199254740991,
      });
      const clockBefore = Date.parse((await h.emu("GET", "/_emulator/clock")).body.data.now);
      await applySetup(await planSetup(deps));
      const huge = (await h.emu("GET", "/api/v1/plans")).body.data.find(
        (p: { name: string }) => p.name === "Huge",
      );
      expect(huge.tokens_per_hour).toBe(9007199254740991);
      // The push is recorded for usage source (c) at SolusIO's time of the PUT's answer (its Date header, to
      // the second): hours from then on are priced at the new price (billing-rules §2.2).
      const pushed = await h.db
        .selectFrom("plan_price_change")
        .selectAll()
        .where("plan_id", "=", BigInt(huge.id))
        .orderBy("effective_at")
        .execute();
      const clockAfter = Date.parse((await h.emu("GET", "/_emulator/clock")).body.data.now);
      // Setup's read of the plans recorded the price it saw first, as the poll records its reads; when the push
      // fell in the same second of SolusIO's clock as that read, the push's row is the one that held then.
      const rows = pushed.map((r) => [r.seen, r.tokens_per_hour]);
      expect(rows.at(-1)).toEqual(["pushed", 9007199254740991n]);
      expect(rows.slice(0, -1)).toEqual(rows.length === 2 ? [["read", 1n]] : []);
      expect(rows.length).toBeLessThanOrEqual(2);
      const at = pushed.at(-1)!.effective_at.getTime();
      expect(at % 1000).toBe(0);
      expect(at).toBeGreaterThanOrEqual(clockBefore - 1000);
      expect(at).toBeLessThanOrEqual(clockAfter);
    } finally {
      await h.server.api("DELETE", `/api/v1/plan-prices/${price.body.data.id}`);
    }
  });

  it("reports a wrong token and an unreachable SolusIO with a fix", async () => {
    const { SolusioApi } = await import("../../src/solusio/solusio-api.ts");
    const { SolusioClient } = await import("../../src/solusio/solusio-client.ts");
    const bad = new SolusioApi(
      new SolusioClient({ baseUrl: h.emulator.apiUrl, token: "wrong", maxRetries: 0 }),
    );
    const checks = await runDoctor({
      db: h.db,
      api: bad,
      config: h.config,
      apiUrl: h.emulator.apiUrl,
      userAreaUrl: h.emulator.url,
    });
    // Past the failed connection only the lines that read tokenbill's database alone are said.
    expect(checks.map((c) => c.name)).toEqual([
      "connection",
      "statement late rows",
      "payment provider events",
    ]);
    expect(checks[0]).toMatchObject({ name: "connection", ok: false });
    expect(checks[0]!.fix).toMatch(/SOLUSIO_API_TOKEN/);
    const down = new SolusioApi(
      new SolusioClient({ baseUrl: "http://127.0.0.1:1/api/v1", token: "x", maxRetries: 0 }),
    );
    const none = await runDoctor({
      db: h.db,
      api: down,
      config: h.config,
      apiUrl: "http://127.0.0.1:1/api/v1",
      userAreaUrl: "http://127.0.0.1:1",
    });
    expect(none[0]!.fix).toMatch(/SOLUSIO_URL/);
  });
  it("reports each failing SolusIO call on its own check, with advice that fits the failure", async () => {
    const { SolusioApi } = await import("../../src/solusio/solusio-api.ts");
    const { SolusioClient } = await import("../../src/solusio/solusio-client.ts");
    // No retries: each fault is seen at once.
    const api = new SolusioApi(
      new SolusioClient({ baseUrl: h.emulator.apiUrl, token: h.emulator.adminToken, maxRetries: 0 }),
    );
    const deps = {
      db: h.db,
      api,
      config: {
        ...h.config,
        TOKENBILL_PUBLIC_URL: h.server.url,
        SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests",
      },
      apiUrl: h.emulator.apiUrl,
      userAreaUrl: h.emulator.url,
    };
    const names = [
      "connection",
      "token rights",
      "database binding",
      "registration off",
      "billing integration",
      "limit_group Default",
      "default limit group",
      "plan prices",
      "billing user ids",
      "user area",
      "GetTokenPricing",
      "statement late rows",
      "payment provider events",
    ];
    const doctorWith = async (rule: Record<string, unknown>, userAreaUrl = deps.userAreaUrl) => {
      await h.emu("POST", "/_emulator/faults", { rules: [{ error_rate: 1, ...rule }] });
      try {
        const checks = await runDoctor({ ...deps, userAreaUrl });
        // Every check is there, whichever failed: one failure hides none of the others.
        expect(checks.map((c) => c.name)).toEqual(names);
        return {
          failing: Object.fromEntries(checks.filter((c) => !c.ok).map((c) => [c.name, c])),
          all: checks,
        };
      } finally {
        await h.emu("DELETE", "/_emulator/faults");
      }
    };
    const solusioFailing = /SolusIO answered 50\d: it is failing or busy/;
    expect((await runDoctor(deps)).filter((c) => !c.ok)).toEqual([]);

    // (a) Users unreadable: the binding check fails, not the token's rights, and never both ok and failed.
    const users = await doctorWith({ path: "/api/v1/users*", error_status: 503 });
    expect(Object.keys(users.failing)).toEqual(["database binding", "billing user ids"]);
    expect(users.failing["database binding"]!.detail).toMatch(/GET users: 503/);
    expect(users.failing["database binding"]!.fix).toMatch(solusioFailing);
    expect(users.failing["billing user ids"]!.detail).toMatch(/not checked: .*GET users: 503/);
    expect(users.failing["billing user ids"]!.fix).toMatch(solusioFailing);
    expect(users.all.filter((c) => c.name === "token rights")).toMatchObject([{ ok: true }]);

    // (b) Limit groups unreadable: only the limit group check fails; doctor still answers every check.
    const groups = await doctorWith({ path: "/api/v1/limit_groups", error_status: 503 });
    expect(Object.keys(groups.failing)).toEqual(["limit_group Default"]);
    expect(groups.failing["limit_group Default"]!.detail).toMatch(/not checked: .*GET limit_groups: 503/);
    expect(groups.failing["limit_group Default"]!.fix).toMatch(solusioFailing);

    // (c) A user area that answers 404 is not the user area.
    const area = await doctorWith({ path: "/nothing-matches" }, `${h.emulator.url}/no-such-page`);
    expect(Object.keys(area.failing)).toEqual(["user area"]);
    expect(area.failing["user area"]!.detail).toMatch(/answered 404/);
    expect(area.failing["user area"]!.fix).toMatch(/SOLUSIO_USER_AREA_URL/);

    // (d) Settings failing with 500: the token is fine, so the advice is not about the token; what needs the
    // settings is "not checked", everything else is checked as usual.
    const settings = await doctorWith({ path: "/api/v1/settings", error_status: 500 });
    expect(Object.keys(settings.failing)).toEqual([
      "token rights",
      "registration off",
      "billing integration",
      "default limit group",
    ]);
    for (const check of Object.values(settings.failing)) {
      expect(check.detail).toMatch(/GET settings: 500/);
      expect(check.fix).toMatch(solusioFailing);
      expect(check.fix).not.toMatch(/API token|Admin role|SOLUSIO_API_TOKEN/);
    }
  });
});
