import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { runDoctor } from "../../src/services/setup/doctor.ts";
import { applySetup, planSetup } from "../../src/services/setup/plan-setup.ts";
import { type SolusioHarness, startSolusioHarness } from "../helpers/solusio-harness.ts";

// Issue 10 item 4.4 (solusio-api.md §7, seed step 7) against the emulator: setup writes the billing
// integration and prints the manual steps; doctor verifies by reading, so any integration type whose driver
// calls tokenbill's GetTokenPricing passes, and setup never replaces such a working integration.

const TOKEN = "pricing-token-for-tests";
let h: SolusioHarness;
let config: Config;
let ours: string;

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_PRICING_TOKEN: TOKEN });
  config = { ...h.config, TOKENBILL_PUBLIC_URL: h.server.url };
  ours = `${h.server.url}/solusio/api`;
});
afterAll(async () => h?.close());

const deps = () => ({
  db: h.db,
  api: h.connection.api,
  config,
  apiUrl: h.emulator.apiUrl,
  userAreaUrl: h.emulator.url,
});

async function setIntegration(value: unknown) {
  const r = await h.emu("PATCH", "/api/v1/settings", { billing_integration: value });
  expect(r.status).toBe(200);
}

async function doctorSays() {
  const checks = await runDoctor(deps());
  return checks.find((c) => c.name === "billing integration")!;
}

const integration = async () => (await h.emu("GET", "/api/v1/settings")).body.data.billing_integration;

describe("doctor reads the billing integration", () => {
  it("passes for a whmcs integration whose driver calls tokenbill, and setup leaves it alone", async () => {
    await setIntegration({ type: "whmcs", drivers: { whmcs: { url: ours, token: TOKEN } } });
    expect(await doctorSays()).toEqual({
      name: "billing integration",
      ok: true,
      detail: `SolusIO calls ${ours} (integration type "whmcs")`,
    });
    const plan = await planSetup(deps());
    expect(plan.steps.map((s) => s.key)).not.toContain("billing_integration");
    expect(plan.manualSteps).toEqual([]);
    await applySetup(plan);
    expect(await integration()).toMatchObject({ type: "whmcs", drivers: { whmcs: { url: ours } } });
  });

  it("fails for another URL with the fix printed; setup writes Custom billing, prints the steps, then doctor passes", async () => {
    await setIntegration({
      type: "whmcs",
      drivers: { whmcs: { url: "https://old-billing.example.com/api/" } },
    });
    const before = await doctorSays();
    expect(before).toMatchObject({
      ok: false,
      detail: `SolusIO calls https://old-billing.example.com/api/ (integration type "whmcs"), not tokenbill's ${ours}`,
    });
    expect(before.fix).toContain("tokenbill solusio setup --apply");
    expect(before.fix).toContain(`Settings > Billing Integration, type Custom billing, URL ${ours}`);

    const plan = await planSetup(deps());
    const step = plan.steps.find((s) => s.key === "billing_integration")!;
    expect(step.current).toEqual({
      type: "whmcs",
      url: "https://old-billing.example.com/api/",
      token: "(none)",
    });
    expect(step.desired).toEqual({ type: "custom", url: ours, token: "(set)" });
    const manual = plan.manualSteps.join("\n");
    expect(manual).toContain("Settings > Billing Integration");
    expect(manual).toContain(`GetTokenPricing URL: ${ours}`);
    expect(manual).not.toContain(TOKEN);

    await applySetup(plan);
    expect(await integration()).toMatchObject({
      type: "custom",
      drivers: { custom: { url: ours, token: TOKEN } },
    });
    expect((await doctorSays()).ok).toBe(true);
    expect((await planSetup(deps())).manualSteps).toEqual([]);
  });

  it("fails for tokenbill's URL with another token; setup keeps the operator's type and writes the token", async () => {
    await setIntegration({ type: "whmcs", drivers: { whmcs: { url: ours, token: "stale-token" } } });
    const before = await doctorSays();
    expect(before.ok).toBe(false);
    expect(before.detail).toContain("another token than SOLUSIO_PRICING_TOKEN");
    await applySetup(await planSetup(deps()));
    expect(await integration()).toMatchObject({
      type: "whmcs",
      drivers: { whmcs: { url: ours, token: TOKEN } },
    });
    expect((await doctorSays()).ok).toBe(true);
  });
});
