import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator/start.ts";
import { client, setClock, startTestEmulator } from "../../emulator/test/helpers.ts";
import { type PricingStub, startPricingStub } from "../../emulator/test/pricing-stub.ts";
import { type CommandDataDir, commandDataDir } from "../helpers/tokenbill-command.ts";

// The user area in a real headless Chromium, with prices fetched from a running tokenbill (its real HTTP
// server and GetTokenPricing endpoint on an embedded database), and once more with the billing system down.
// Chromium is Debian's (`apt-get install -y chromium`); without it this file is skipped, saying why.
// It lives outside emulator/ because it drives tokenbill too, and the emulator never imports src/.

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const SCREENSHOT_DIR = join(import.meta.dirname, "..", "..", "test-output");
const ADMIN_KEY = "browser-test-admin-key-0123456789";
const PRICING_TOKEN = "browser-test-pricing-token";
/**
 * Ceilings for a loaded machine (CI's two cores at 17–25 runnable, where this file timed out): starting
 * tokenbill and Chromium, and each journey in the browser. Only a wait never met comes near them.
 */
const START_TIMEOUT_MS = 240_000;
const JOURNEY_TIMEOUT_MS = 180_000;
/** Playwright's own waits (navigation, locators): under the journey's, so they fail with their message. */
const PAGE_TIMEOUT_MS = 60_000;
/**
 * How long the user area waits for tokenbill's GetTokenPricing: a working tokenbill answers in milliseconds
 * on a quiet machine, but may take more than the emulator's default 2 s on a loaded one, and the page would
 * then say prices are unavailable. The failing billing system of the second test answers at once.
 */
const BILLING_TIMEOUT_MS = 30_000;

interface Tokenbill {
  url: string;
  close(): Promise<void>;
  api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: { data: { id: number } } }>;
}

/** tokenbill itself, through its composition root, on a throwaway embedded database. */
async function startTokenbill(dataDir: string): Promise<Tokenbill> {
  const { parseConfig } = await import("../../src/config.ts");
  const { startServer } = await import("../../src/app/server.ts");
  const config = parseConfig({
    PORT: 0,
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    TOKENBILL_ADMIN_API_KEY: ADMIN_KEY,
    SOLUSIO_PRICING_TOKEN: PRICING_TOKEN,
    PRICING_REFRESH_MS: 0,
  });
  const running = await startServer(config, pino({ level: "silent" }));
  return {
    url: running.url,
    close: running.close,
    api: async (method, path, body) => {
      const res = await fetch(running.url + path, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** A GBP customer with a 0.95 discount and compound 6 % + 2 % taxes: U = 1.34 × 0.95 × 1.06 × 1.02 = 1.3763676. */
async function seedCustomer(tb: Tokenbill): Promise<number> {
  const expectCreated = (r: { status: number; body: unknown }, what: string) => {
    if (r.status !== 201) throw new Error(`tokenbill refused ${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  expectCreated(
    await tb.api("POST", "/api/v1/currencies", {
      code: "GBP",
      exponent: 2,
      token_unit_cost: "1.34",
      display_prefix: "£",
      display_suffix: " GBP",
    }),
    "the currency",
  );
  const rule = await tb.api("POST", "/api/v1/tax-rules", {
    name: "City and State",
    compound: true,
    rates: [
      { label: "City Tax", rate: "6" },
      { label: "State Tax", rate: "2" },
    ],
  });
  expectCreated(rule, "the tax rule");
  const customer = await tb.api("POST", "/api/v1/customers", {
    email: "alice@example.com",
    country: "GB",
    currency: "GBP",
    tax_rule_id: rule.body.data.id,
  });
  expectCreated(customer, "the customer");
  const id: number = customer.body.data.id;
  expectCreated(
    await tb.api("POST", "/api/v1/discounts", {
      name: "Special Client Group Discount",
      description: "5% Recurring Discount",
      multiplier: "0.95",
      customer_id: id,
    }),
    "the discount",
  );
  return id;
}

describe.skipIf(!hasChromium)(
  `the user area in Chromium${hasChromium ? "" : ` (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)`}`,
  () => {
    let data: CommandDataDir | undefined;
    let tokenbill: Tokenbill;
    let stub: PricingStub;
    let em: RunningEmulator;
    let browser: import("playwright-core").Browser;

    beforeAll(async () => {
      // A copy of the run's migrated database: on a new directory tokenbill ran initdb and every migration
      // first, seconds under load, for nothing the journey looks at.
      data = await commandDataDir();
      tokenbill = await startTokenbill(data.dir);
      stub = await startPricingStub();
      stub.mode = "error500";
      const customerId = await seedCustomer(tokenbill);
      em = await startTestEmulator({
        billingTimeoutMs: BILLING_TIMEOUT_MS,
        seed: {
          settings: {
            allow_registration: false,
            billing_integration: {
              type: "custom",
              drivers: { custom: { url: `${tokenbill.url}/solusio/api`, token: PRICING_TOKEN } },
            },
          },
          locations: [{ name: "London" }],
          plans: [
            { name: "1 Core, 1 GB RAM", tokens_per_hour: 7, tokens_per_month: 5000 },
            { name: "2 Cores, 4 GB RAM", tokens_per_hour: 28, tokens_per_month: 20000 },
          ],
          users: [{ id: 5, email: "alice@example.com", billing_user_id: customerId }],
          servers: [
            { name: "web-1.example.com", user: 5, plan: 1, created_at: "2026-10-01T00:00:00Z" },
            {
              name: "db-1.example.com",
              user: 5,
              plan: 2,
              status: "stopped",
              created_at: "2026-10-01T06:00:00Z",
            },
          ],
        },
      });
      await setClock(em, { now: "2026-10-20T11:30:00Z" });
      const { chromium } = await import("playwright-core");
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox"],
        timeout: PAGE_TIMEOUT_MS,
      });
    }, START_TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await em?.close();
      await stub?.close();
      await tokenbill?.close();
      data?.remove();
    }, START_TIMEOUT_MS);

    async function openUserArea() {
      const token = (await client(em).post("users/5/tokens", { is_one_time: true })).body.data.access_token;
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      const response = await page.goto(`${em.url}/auth/by_token/${token}`);
      expect(response?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe("/");
      return page;
    }

    it(
      "logs in by token and shows servers and prices fetched from tokenbill; takes a screenshot",
      async () => {
        const page = await openUserArea();
        const servers = await page.locator("#servers tbody tr").allInnerTexts();
        // web-1: created Oct 1 00:00, now Oct 20 11:30 → 467.5 h, so 468 started hours; db-1 6 fewer.
        expect(servers[0]).toMatch(
          /web-1\.example\.com\s+started\s+1 Core, 1 GB RAM\s+London\s+203\.0\.113\.1\s+468/,
        );
        expect(servers[1]).toMatch(/db-1\.example\.com\s+stopped\s+2 Cores, 4 GB RAM\s+London\s+\S+\s+462/);
        // 7 × 1.3763676 = 9.6345732 → £9.63; 5000 × 1.3763676 = 6881.838 → £6,881.84
        expect(await page.locator('tr[data-plan-id="1"] .price-hour').textContent()).toBe("£9.63 GBP");
        expect(await page.locator('tr[data-plan-id="1"] .price-month').textContent()).toBe("£6,881.84 GBP");
        expect(await page.locator('tr[data-plan-id="2"] .price-month').textContent()).toBe("£27,527.35 GBP");
        expect(await page.locator("#discounts").textContent()).toContain("Special Client Group Discount");
        expect(await page.locator("#taxes").textContent()).toContain("State Tax: 2 %");
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const file = join(SCREENSHOT_DIR, "emulator-user-area.png");
        await page.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size).toBeGreaterThan(10_000);
        await page.close();
      },
      JOURNEY_TIMEOUT_MS,
    );

    it(
      "still renders, saying prices are unavailable, when the billing system fails",
      async () => {
        await client(em).patch("settings", {
          billing_integration: { drivers: { custom: { url: stub.url, token: null } } },
        });
        const page = await openUserArea();
        expect(await page.locator("#prices-unavailable").textContent()).toMatch(
          /Prices are unavailable: .*HTTP 500/,
        );
        expect(await page.locator("#plans").textContent()).toContain("1 Core, 1 GB RAM");
        await page.screenshot({
          path: join(SCREENSHOT_DIR, "emulator-user-area-no-prices.png"),
          fullPage: true,
        });
        await page.close();
      },
      JOURNEY_TIMEOUT_MS,
    );
  },
);
