import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { setPortalPassword } from "../../src/services/portal-accounts/portal-accounts.ts";
import { issuePortalToken } from "../../src/services/portal-accounts/portal-tokens.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { operatorContext } from "../../src/web/portal/testing/portal-fixtures.ts";
import { logInThroughForm, noBrowser } from "../helpers/browser.ts";
import { browserPerFile } from "../helpers/browser-per-file.ts";

// Back in the browser after a login or password form that was refused, then sent: the form's page, not
// Chromium's net::ERR_CACHE_MISS ("Confirm Form Resubmission"). These pages are drawn outside the faces'
// page helper, and the login pages have no session: until 2026-12-07 they did not load assets/form-answer.js
// (and could not: it was served behind each face's login), so the refused POST stayed in the history.

const PASSWORD = "login back test password";
/** The console test's new password; the console's login tests run before it. */
const NEW_PASSWORD = "login back new password";
const STAFF_EMAIL = "loginback-staff@example.com";
const CUSTOMER_EMAIL = "loginback-customer@example.com";

const file = browserPerFile();
let base: string;

beforeAll(async () => {
  if (noBrowser) return;
  base = file.server.url;
  const ctx = operatorContext(file.handle);
  await createStaffUser({
    ctx,
    input: { email: STAFF_EMAIL, name: "Lena Back", role: "owner", password: PASSWORD },
  });
  const customer = await createCustomer({
    ctx,
    input: { email: CUSTOMER_EMAIL, name: "Bea Back", country: "US", currency: "USD" },
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customer.id), password: PASSWORD } });
}, 60_000);

async function freshPage(): Promise<Page> {
  return (await file.browser.newContext()).newPage();
}

/** Back in the browser's history: a page of ours (its status and heading), not a browser error; where it is. */
async function back(page: Page): Promise<{ status: number | undefined; path: string; heading: string }> {
  const answer = await page.goBack();
  return {
    status: answer?.status(),
    path: page.url().replace(base, ""),
    heading: (await page.locator("h1").textContent()) ?? "",
  };
}

/** A login refused for a wrong password, then a good one, through the face's login form. */
async function wrongThenRightLogin(page: Page, face: "console" | "portal", email: string): Promise<void> {
  await page.goto(`${base}/${face}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect.poll(() => page.locator("#password-error").count()).toBe(1);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${base}/${face}`);
}

describe.skipIf(noBrowser)("Back after a refused login or password form", () => {
  for (const [face, email] of [
    ["console", STAFF_EMAIL],
    ["portal", CUSTOMER_EMAIL],
  ] as const)
    it(`shows the ${face}'s login page after a wrong password and then a good one`, async () => {
      const page = await freshPage();
      await wrongThenRightLogin(page, face, email);
      expect(await back(page)).toMatchObject({ status: 200, path: `/${face}/login` });
      expect(await page.getByLabel("Password").inputValue()).toBe("");
    });

  it("shows the reset request page after a refused address and then a sent one", async () => {
    const page = await freshPage();
    await page.goto(`${base}/portal/password-reset`);
    await page.getByLabel("E-mail").fill("not an address");
    await page.getByRole("button", { name: "Send the link" }).click();
    await expect.poll(() => page.locator("#email-error").count()).toBe(1);
    await page.getByLabel("E-mail").fill(CUSTOMER_EMAIL);
    await page.getByRole("button", { name: "Send the link" }).click();
    await expect.poll(() => page.locator("p.notice").count()).toBe(1);
    // The answer that said "sent" is itself a POST's answer: renamed too, so reload asks for no second link.
    expect(page.url()).toBe(`${base}/portal/password-reset`);
    expect(await back(page)).toMatchObject({ status: 200, path: "/portal/password-reset" });
    expect(await page.locator("#email-error").count()).toBe(0);
  });

  it("shows the spent link's page after a refused new password and then a saved one", async () => {
    const issued = await issuePortalToken(operatorContext(file.handle), CUSTOMER_EMAIL, "password_reset");
    const page = await freshPage();
    await page.goto(`${base}/portal/password-reset/new?token=${issued!.token}`);
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Save the password" }).click();
    await expect.poll(() => page.locator("#password-error").count()).toBe(1);
    await page.getByLabel("New password").fill(PASSWORD);
    await page.getByRole("button", { name: "Save the password" }).click();
    await page.waitForURL(/notice=password_changed/);
    // The link is spent, so its page says so (401), which is the truth and sends nothing.
    expect(await back(page)).toMatchObject({
      status: 401,
      path: "/portal/password-reset/new",
      heading: "Link not valid",
    });
  });

  it("shows the console's change-password page after a refused change and then a made one", async () => {
    const page = await freshPage();
    await logInThroughForm(page, base, "console", STAFF_EMAIL, PASSWORD);
    await page.goto(`${base}/console/account/password`);
    const fill = async (current: string, again: string) => {
      await page.getByLabel("Current password").fill(current);
      await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("New password again").fill(again);
      await page.getByRole("button", { name: "Change password" }).click();
    };
    await fill(PASSWORD, "not the same password");
    await expect.poll(() => page.locator("#new_password_again-error").count()).toBe(1);
    await fill(PASSWORD, NEW_PASSWORD);
    await page.waitForURL(/notice=own_password_changed/);
    expect(await back(page)).toMatchObject({ status: 200, path: "/console/account/password" });
  });
});
