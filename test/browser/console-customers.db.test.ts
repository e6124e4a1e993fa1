import { pino } from "pino";
import type { Browser, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "../../src/app/database.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { checkPage, launchBrowser, logInThroughForm, noBrowser } from "../helpers/browser.ts";
import { type SolusioHarness, startSolusioHarness } from "../helpers/solusio-harness.ts";

// The console journey in a real browser against the SolusIO emulator: staff logs in, creates a customer and
// sees it reach SolusIO (in_sync on the customer page); every page of the dashboard, customers, SolusIO,
// logs, API keys and settings passes axe-core at 375 and 1440 px without sideways scrolling.

const PASSWORD = "browser console password";
let h: SolusioHarness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (noBrowser) return;
  h = await startSolusioHarness();
  h.runner.start();
  const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  await createStaffUser({
    ctx,
    input: { email: "olive@example.com", name: "Olive Owner", role: "owner", password: PASSWORD },
  });
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe.skipIf(noBrowser)("console customers in a real browser", () => {
  let customerPath = "";

  it("staff logs in, creates a customer and sees it reach SolusIO", async () => {
    await logInThroughForm(page, h.server.url, "console", "olive@example.com", PASSWORD);
    await checkPage(page, "console-dashboard");

    await page.getByRole("link", { name: "Customers", exact: true }).click();
    await page.getByRole("link", { name: "New customer" }).click();
    await checkPage(page, "console-customer-new");
    await page.getByLabel("E-mail").fill("not an address");
    await page.getByRole("button", { name: "Create customer" }).click();
    await expect.poll(() => page.locator("#email-error").textContent()).toContain("e-mail address");
    await checkPage(page, "console-customer-new-error");

    await page.getByLabel("E-mail").fill("grace@example.com");
    await page.getByLabel("Name").fill("Grace Hopper");
    await page.getByLabel("Country (two letters, e.g. DE)").fill("GB");
    await page.getByLabel("Currency").selectOption("USD");
    await page.getByRole("button", { name: "Create customer" }).click();
    await page.waitForURL(/\/console\/customers\/\d+\?notice=created$/);
    customerPath = new URL(page.url()).pathname;
    expect(await page.locator("h1").textContent()).toBe("Grace Hopper");

    // The sync runs in the background: the page shows in_sync once SolusIO has the user.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator("#sync-state").textContent();
        },
        { interval: 250 },
      )
      .toBe("in_sync");
    const users = await h.emu("GET", "/api/v1/users");
    expect(users.body.data.map((u: { email: string }) => u.email)).toContain("grace@example.com");
    await checkPage(page, "console-customer");

    await page.goto(`${h.server.url}/console/customers?q=grace`);
    expect(await page.locator("table").textContent()).toContain("grace@example.com");
    await checkPage(page, "console-customers");
  });

  it("shows every other console page of this area accessibly at both widths", async () => {
    const visit = async (path: string, name: string) => {
      await page.goto(h.server.url + path);
      expect(new URL(page.url()).pathname).toBe(path.split("?")[0]);
      await checkPage(page, name);
    };
    await visit(`${customerPath}/edit`, "console-customer-edit");
    await visit(`${customerPath}/status?to=suspended`, "console-customer-suspend");
    await visit("/console/solusio", "console-solusio");
    await visit(`${customerPath}/delete`, "console-customer-delete");
    await visit("/console/call-log", "console-call-log");
    await h.db
      .insertInto("job")
      .values({
        kind: "invoice.webhook",
        ordering_key: "webhook:inv_browser:a",
        payload: "{}",
        status: "failed",
        attempts: 8,
        last_error: "HTTP 500 from the endpoint (gave up after 8 attempts)",
      })
      .execute();
    await visit("/console/jobs", "console-jobs");
    await visit("/console/audit-log", "console-audit-log");
    await visit("/console/api-keys", "console-api-keys");
    await page.getByLabel("What the key is for").fill("deploy pipeline");
    await page.getByRole("button", { name: "Create key" }).click();
    expect(await page.locator("#new-key").textContent()).toMatch(/^tbk_/);
    await checkPage(page, "console-api-key-created");
    await page
      .getByRole("link", { name: /Revoke/ })
      .first()
      .click();
    await checkPage(page, "console-api-key-revoke");
    await visit("/console/settings", "console-settings");
    await page
      .getByRole("link", { name: /Disable/ })
      .first()
      .click();
    expect(await page.locator("h1").textContent()).toBe("Disable staff user");
    await checkPage(page, "console-staff-disable");
  });

  // Until 2026-12-05 a name without spaces widened the page (the delete page scrolled 1,800 px sideways at
  // 1440) and the customer page's cards ran under each other.
  it("keeps a customer with a long unbroken name and a long address within the page at both widths", async () => {
    const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
    const long = await createCustomer({
      ctx,
      input: {
        email: "accounts-payable.department@very-long-hosting-company-name.example.com",
        name: "Wolfeschlegelsteinhausenbergerdorff".repeat(5),
        country: "DE",
        currency: "USD",
      },
    });
    const at = `/console/customers/${long.id}`;
    for (const [path, name] of [
      [at, "console-customer-long-name"],
      [`${at}/edit`, "console-customer-long-name-edit"],
      [`${at}/delete`, "console-customer-long-name-delete"],
      ["/console/customers?q=Wolfe", "console-customers-long-name"],
    ] as const) {
      await page.goto(h.server.url + path);
      expect(new URL(page.url()).pathname).toBe(path.split("?")[0]);
      await checkPage(page, name);
    }
  });

  it("creates one API key and one staff user when the answer page is reloaded, showing the secret once", async () => {
    // Until 2026-12-06 the answer to the form was the page itself, and a reload sent the form again: a
    // second key, and a second user refused as a duplicate.
    const keysNamed = async (name: string) =>
      (await h.db.selectFrom("api_key").select("id").where("name", "=", name).execute()).length;
    await page.goto(`${h.server.url}/console/api-keys`);
    await page.getByLabel("What the key is for").fill("reload check");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await page.locator("#new-key").textContent();
    expect(key).toMatch(/^tbk_/);
    expect(page.url()).not.toContain(key!);
    await page.reload();
    expect(await keysNamed("reload check")).toBe(1);
    // Shown once: the reloaded page lists the key by name but no longer holds it.
    expect(await page.locator("#new-key").count()).toBe(0);
    expect(await page.content()).not.toContain(key!);
    expect(await page.locator("#keys").textContent()).toContain("reload check");

    await page.goto(`${h.server.url}/console/settings`);
    await page.getByLabel("E-mail", { exact: true }).fill("reload@example.com");
    await page.locator("#role").selectOption("support");
    await page.getByRole("button", { name: "Create staff user" }).click();
    const password = await page.locator("#new-password").textContent();
    expect(password?.length).toBeGreaterThanOrEqual(12);
    await page.reload();
    expect(await page.locator("#new-password").count()).toBe(0);
    expect(await page.locator(".field-error").count()).toBe(0);
    const users = await h.db
      .selectFrom("staff_user")
      .select("id")
      .where("email", "=", "reload@example.com")
      .execute();
    expect(users).toHaveLength(1);
  });

  it("sends the key and staff user forms once when the button is clicked again before the answer comes", async () => {
    // Until 2026-12-06 a second click while the first answer was on its way sent the form again: two keys,
    // or a second user refused as a duplicate. The first request is held at the browser's edge until the
    // second click is done, so the race is sure.
    const clickTwice = async (
      from: string,
      path: string,
      fill: () => Promise<void>,
      submit: string,
      shown: string,
    ) => {
      const sent: Route[] = [];
      let held = true;
      await page.route(`**${path}`, async (route) => {
        if (route.request().method() !== "POST") return route.continue();
        sent.push(route);
        if (!held) await route.continue();
      });
      await page.goto(h.server.url + from);
      await fill();
      const button = page.getByRole("button", { name: submit });
      // In view first, so the box is where the second click lands (the first click would scroll it there).
      await button.scrollIntoViewIfNeeded();
      const box = await button.boundingBox();
      await button.click({ noWaitAfter: true });
      await expect.poll(() => sent.length).toBe(1);
      // The second click where the button is, as a person's hand would (a locator would wait for the page).
      await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2);
      held = false;
      // A request the browser gave up (a later submission replaces an earlier one) cannot be continued.
      for (const route of sent) await route.continue().catch(() => undefined);
      await page.locator(shown).waitFor();
      await page.unroute(`**${path}`);
      return sent.length;
    };
    const keyPosts = await clickTwice(
      "/console/api-keys",
      "/console/api-keys",
      () => page.getByLabel("What the key is for").fill("double click"),
      "Create key",
      "#new-key",
    );
    expect(keyPosts).toBe(1);
    const keys = await h.db.selectFrom("api_key").select("id").where("name", "=", "double click").execute();
    expect(keys).toHaveLength(1);
    const userPosts = await clickTwice(
      "/console/settings",
      "/console/settings/staff",
      async () => {
        await page.getByLabel("E-mail", { exact: true }).fill("double@example.com");
        await page.locator("#role").selectOption("support");
      },
      "Create staff user",
      "#new-password",
    );
    expect(userPosts).toBe(1);
  });

  it("logs in to SolusIO as the customer and lands in the emulator's user area", async () => {
    await page.goto(h.server.url + customerPath);
    await page.getByRole("button", { name: "Log in to SolusIO as this customer" }).click();
    await page.waitForURL((url) => url.href.startsWith(h.emulator.url));
    expect(page.url().startsWith(h.emulator.url)).toBe(true);
  });
});
