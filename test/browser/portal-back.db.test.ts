import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  PORTAL_PASSWORD,
  type PortalCustomer,
  portalCustomer,
} from "../../src/web/portal/testing/portal-fixtures.ts";
import { logInThroughForm, noBrowser } from "../helpers/browser.ts";
import { browserPerFile } from "../helpers/browser-per-file.ts";

// Back in the browser after a portal form that was refused, then sent: the form's page, not Chromium's
// net::ERR_CACHE_MISS ("Confirm Form Resubmission"), and nothing sent again. Until 2026-12-07 only the
// console's form answers renamed their history entry (assets/form-answer.js); the portal's profile and
// password forms left it as the refused POST. (Pay now answers with a redirect only: no page to go back to.)

const file = browserPerFile();
let page: Page;
let base: string;
let ada: PortalCustomer;

beforeAll(async () => {
  if (noBrowser) return;
  base = file.server.url;
  ada = await portalCustomer(file.handle, { email: "back@example.com", name: "Ada", dueDate: "2099-01-01" });
  page = await (await file.browser.newContext()).newPage();
  await logInThroughForm(page, base, "portal", ada.email, PORTAL_PASSWORD);
}, 60_000);

/** This customer's audit rows: a form sent again would write one more. */
async function customerChanges(): Promise<number> {
  const row = await file.handle.db
    .selectFrom("audit_log")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("actor", "=", `customer:${ada.id}`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Back in the browser's history: a page (200), not a browser error; where it is. */
async function backShowsAPage(): Promise<string> {
  const answer = await page.goBack();
  expect(answer?.status()).toBe(200);
  return page.url().replace(base, "");
}

describe.skipIf(noBrowser)("Back after a refused portal form", () => {
  it("shows the profile page after the name form, refused once and then sent, and sends nothing again", async () => {
    await page.goto(`${base}/portal/profile`);
    await page.getByLabel("Name").fill("   ");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("#name-error").count()).toBe(1);
    await page.getByLabel("Name").fill("Ada King");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/notice=profile_saved/);
    const changes = await customerChanges();

    expect(await backShowsAPage()).toBe("/portal/profile");
    expect(await page.getByLabel("Name").inputValue()).toBe("Ada King");
    expect(await customerChanges()).toBe(changes);
  });

  it("shows the profile page after the password form, refused once and then sent", async () => {
    await page.goto(`${base}/portal/profile`);
    await page.getByLabel("Current password").fill("not the password at all");
    await page.getByLabel("New password (at least 12 characters)").fill("a new portal password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => page.locator("#current_password-error").count()).toBe(1);
    await page.getByLabel("Current password").fill(PORTAL_PASSWORD);
    await page.getByLabel("New password (at least 12 characters)").fill("a new portal password");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.waitForURL(/notice=password_changed/);
    const changes = await customerChanges();

    expect(await backShowsAPage()).toBe("/portal/profile");
    expect(await page.locator("h1").textContent()).toBe("Profile");
    expect(await customerChanges()).toBe(changes);
  });
});
