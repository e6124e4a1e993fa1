import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config.ts";
import { SolusioSettings } from "../../solusio/schemas.ts";
import { billingIntegrationManualSteps, checkBillingIntegration } from "./billing-integration-check.ts";

// solusio-api.md §7: doctor verifies the billing integration by reading it. Any integration type passes whose
// driver (the one `type` names, which SolusIO calls) has tokenbill's GetTokenPricing URL.

const OURS = "https://billing.example.com/solusio/api";
const TOKEN = "pricing-token-0123";
const config = parseConfig({
  LOG_LEVEL: "silent",
  TOKENBILL_PUBLIC_URL: "https://billing.example.com/",
  SOLUSIO_PRICING_TOKEN: TOKEN,
});
const noToken = parseConfig({ LOG_LEVEL: "silent", TOKENBILL_PUBLIC_URL: "https://billing.example.com" });

const check = (billing_integration: unknown, cfg = config) =>
  checkBillingIntegration(SolusioSettings.parse({ billing_integration }), cfg);

describe("checkBillingIntegration", () => {
  it("passes for any type whose driver calls tokenbill: whmcs, custom, anything", async () => {
    for (const type of ["whmcs", "custom", "blesta"]) {
      const verdict = check({ type, drivers: { [type]: { url: OURS, token: TOKEN } } });
      expect(verdict, type).toEqual({
        ok: true,
        detail: `SolusIO calls ${OURS} (integration type "${type}")`,
      });
    }
  });

  it("compares scheme and host without case and ignores a default port, but not the path", () => {
    expect(
      check({ type: "whmcs", drivers: { whmcs: { url: "HTTPS://Billing.Example.com:443/solusio/api" } } }).ok,
    ).toBe(true);
    // tokenbill's router does not answer the path with a trailing slash (the seed's own example has one).
    expect(check({ type: "whmcs", drivers: { whmcs: { url: `${OURS}/` } } }).ok).toBe(false);
    expect(
      check({ type: "whmcs", drivers: { whmcs: { url: "https://billing.example.com/SOLUSIO/api" } } }).ok,
    ).toBe(false);
  });

  it("fails for another URL with the fix printed: setup --apply, or the steps in SolusIO's UI", () => {
    const verdict = check({
      type: "whmcs",
      drivers: { whmcs: { url: "https://old.example.com/api/", token: TOKEN } },
    });
    expect(verdict).toMatchObject({
      ok: false,
      detail: `SolusIO calls https://old.example.com/api/ (integration type "whmcs"), not tokenbill's ${OURS}`,
      desired: { type: "custom", drivers: { custom: { url: OURS, token: TOKEN } } },
    });
    if (verdict.ok) return;
    expect(verdict.fix).toContain("tokenbill solusio setup --apply");
    expect(verdict.fix).toContain(`Settings > Billing Integration, type Custom billing, URL ${OURS}`);
    expect(verdict.fix).toContain("SOLUSIO_PRICING_TOKEN");
    expect(verdict.fix).not.toContain(TOKEN);
  });

  it("only the driver that `type` names counts: another driver pointing at tokenbill is not called", () => {
    const verdict = check({
      type: "whmcs",
      drivers: { whmcs: { url: "https://whmcs.example.com/" }, custom: { url: OURS, token: TOKEN } },
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toContain("https://whmcs.example.com/");
    const noDriver = check({ type: "custom", drivers: { whmcs: { url: OURS } } });
    expect(noDriver).toMatchObject({ ok: false, detail: expect.stringContaining("calls no URL") });
  });

  it("fails when nothing is set", () => {
    for (const value of [null, undefined, {}]) {
      expect(check(value)).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/no billing integration/),
      });
    }
  });

  it("a token SolusIO shows must be tokenbill's; the fix keeps the operator's type", () => {
    const verdict = check({ type: "whmcs", drivers: { whmcs: { url: OURS, token: "old-token" } } });
    expect(verdict).toMatchObject({
      ok: false,
      detail: expect.stringContaining("another token than SOLUSIO_PRICING_TOKEN"),
      desired: { type: "whmcs", drivers: { whmcs: { url: OURS, token: TOKEN } } },
    });
    expect(check({ type: "whmcs", drivers: { whmcs: { url: OURS, token: null } } }).ok).toBe(false);
  });

  it("a token SolusIO hides (left out or masked) cannot be compared: it passes and says so", () => {
    for (const driver of [{ url: OURS }, { url: OURS, token: "********" }]) {
      const verdict = check({ type: "custom", drivers: { custom: driver } });
      expect(verdict.ok).toBe(true);
      expect(verdict.detail).toContain("does not show its token");
    }
  });

  it("with no pricing token configured, any token SolusIO sends is fine (tokenbill accepts every caller)", () => {
    const verdict = check({ type: "whmcs", drivers: { whmcs: { url: OURS, token: "anything" } } }, noToken);
    expect(verdict).toEqual({ ok: true, detail: `SolusIO calls ${OURS} (integration type "whmcs")` });
  });
});

describe("billingIntegrationManualSteps (seed step 7, our words)", () => {
  it("names the place in SolusIO's admin UI, the type, tokenbill's URL and where the token comes from", () => {
    const text = billingIntegrationManualSteps(config).join("\n");
    expect(text).toContain("Settings > Billing Integration");
    expect(text).toContain('"Custom billing"');
    expect(text).toContain(`GetTokenPricing URL: ${OURS}`);
    expect(text).toContain("SOLUSIO_PRICING_TOKEN");
    expect(text).not.toContain(TOKEN); // a secret is never printed
    expect(text).toContain("tokenbill solusio doctor");
    expect(billingIntegrationManualSteps(noToken).join("\n")).toMatch(/leave the token field empty/i);
  });
});
