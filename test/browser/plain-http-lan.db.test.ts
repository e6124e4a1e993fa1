import { networkInterfaces } from "node:os";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "../../src/app/database.ts";
import { parseConfig } from "../../src/config.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { noBrowser } from "../helpers/browser.ts";
import { browserPerFile } from "../helpers/browser-per-file.ts";

// A console served over plain http on a LAN address (not loopback, which browsers treat as secure and never
// upgrade). Until 2026-12-06 every page's CSP said `upgrade-insecure-requests`, so Chromium sent the login
// form and the pages' scripts to https://<address>:<port>, where nothing answers: the login never ended.
// Skips, saying why, where the machine has no IPv4 address but loopback.

const PASSWORD = "browser test password";

const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
if (!lanAddress) console.warn("plain-http LAN test skipped: no IPv4 address but loopback on this machine");

// Nothing is made (no database, server or browser) without a LAN address: the file's test skips.
const file = lanAddress ? browserPerFile({}, { host: lanAddress }) : undefined;

beforeAll(async () => {
  if (noBrowser || !file) return;
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
});

describe.skipIf(noBrowser || !lanAddress)("the console over plain http on a LAN address", () => {
  it("logs in and loads the pages' own script, every request staying on http", async () => {
    const { server, browser } = file!;
    const context = await browser.newContext();
    const page = await context.newPage();
    const asked: string[] = [];
    const failed: string[] = [];
    page.on("request", (request) => asked.push(request.url()));
    page.on("requestfailed", (request) => failed.push(request.url()));
    await page.goto(`${server.url}/console/login`);
    await page.getByLabel("E-mail").fill("owner@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click({ timeout: 10_000 });
    await page.waitForURL(`${server.url}/console`, { timeout: 10_000 });
    expect(await page.locator("h1").textContent()).toBe("Dashboard");
    // The API keys page loads submit-once.js from its own origin (script-src 'self').
    const script = page.waitForResponse(`${server.url}/console/assets/submit-once.js`, { timeout: 10_000 });
    await page.goto(`${server.url}/console/api-keys`);
    expect((await script).status()).toBe(200);
    expect(failed).toEqual([]);
    expect(asked.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
    await context.close();
  });
});
