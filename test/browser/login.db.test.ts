import { pino } from "pino";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "../../src/app/database.ts";
import { parseConfig } from "../../src/config.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { setPortalPassword } from "../../src/services/portal-accounts/portal-accounts.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { checkPage, noBrowser } from "../helpers/browser.ts";
import { browserPerFile } from "../helpers/browser-per-file.ts";

// A real browser (Debian's Chromium through playwright-core) logs in to the console and the portal, is
// sent to the login page without a session, and axe-core finds no serious or critical accessibility
// problem on the login and home pages. Screenshots at 375 and 1440 px go to test/browser/screenshots/
// (git-ignored: they are made anew by every run). Skips, saying why, where /usr/bin/chromium is missing.

const PASSWORD = "browser test password";

const file = browserPerFile();

beforeAll(async () => {
  if (noBrowser) return;
  const ctx = systemContext(
    file.handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({
    ctx,
    input: { email: "owner@example.com", name: "Olive Owner", role: "owner", password: PASSWORD },
  });
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", name: "Ada Lovelace", country: "DE", currency: "EUR" } as never,
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customer.id), password: PASSWORD } });
});

describe.skipIf(noBrowser)("console and portal in a real browser", () => {
  it("sends a staff member without a session to the login page, then logs in", async () => {
    const context = await file.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${file.server.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await checkPage(page, "console-login");
    // The layout names its icon inline, a data: URL the pages' CSP (img-src 'self' data:) lets load: Chromium
    // then asks for no /favicon.ico, which was a 404 on every page load until 2026-12-06.
    expect(await iconOf(page)).toEqual({ type: "data:image/svg+xml,", width: 16 });

    await page.getByLabel("E-mail").fill("owner@example.com");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect
      .poll(() => page.locator("#password-error").textContent())
      .toContain("Wrong e-mail or password");

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${file.server.url}/console`);
    expect(await page.locator("h1").textContent()).toBe("Dashboard");
    expect(await page.locator("header").textContent()).toContain("Olive Owner");
    await checkPage(page, "console-home");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/console\/login/);
    await page.goto(`${file.server.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await context.close();
  });

  it("sends a customer without a session to the portal login, then logs in", async () => {
    const context = await file.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${file.server.url}/portal`);
    expect(new URL(page.url()).pathname).toBe("/portal/login");
    await checkPage(page, "portal-login");
    expect(await iconOf(page)).toEqual({ type: "data:image/svg+xml,", width: 16 });

    await page.getByLabel("E-mail").fill("ada@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${file.server.url}/portal`);
    expect(await page.locator("header").textContent()).toContain("Ada Lovelace");
    await checkPage(page, "portal-home");

    // "Skip to content" moves the keyboard's focus into main: the next Tab reaches main's first link, not
    // the header's (main had no tabindex="-1" until 2026-12-06, so the focus stayed on body).
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);
    await context.close();
  });
});

/** The page's icon as the browser loads it under the page's CSP: its data: type and width, or null. */
function iconOf(page: Page): Promise<{ type: string; width: number } | null> {
  return page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) return null;
    const image = new Image();
    image.src = link.href;
    await image.decode();
    return { type: link.href.slice(0, link.href.indexOf(",") + 1), width: image.naturalWidth };
  });
}
