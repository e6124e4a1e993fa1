import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createLogger } from "../logger.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { buildServer } from "./server.ts";

// Failed credentials reach the log at warn, over the real server and the production logger: a wrong and a
// missing admin API key, a failed console and portal login. Each line names the route, the client address as
// TRUST_PROXY reads it (one proxy hop here: the last X-Forwarded-For entry) and the reason, and nothing that
// was typed: not the key, not the password, not the e-mail. A flood from one address is one line.

const ADMIN_KEY = "admin-key-of-the-server-0123456789";
const WRONG_KEY = "tb_wrong-key-secret-0123456789abcdef";
const PASSWORD = "the right staff password";
const WRONG_PASSWORD = "wrong-password-secret-987";
const PRICING_TOKEN = "pricing-token-of-the-server-0123";
const WRONG_TOKEN = "wrong-pricing-token-secret-4567";
const WRONG_SIG = "c2lnbmF0dXJlLW9mLW5vYm9keS1hdC1hbGwtMDEyMzQ1Njc";
let handle: DatabaseHandle;
let output = "";
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  handle = await createTestDatabase();
  const config = parseConfig({
    TOKENBILL_ADMIN_API_KEY: ADMIN_KEY,
    PORT: 0,
    LOG_LEVEL: "info",
    TRUST_PROXY: "1",
    SOLUSIO_PRICING_TOKEN: PRICING_TOKEN,
  });
  const memory = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const app = await buildServer({ config, db: handle.db, logger: createLogger(config, memory) });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  close = () => app.close();
  const ctx = systemContext(handle, config, pino({ level: "silent" }), actors.cli());
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", name: "Ada", country: "DE", currency: "EUR" } as never,
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customer.id), password: PASSWORD } });
});
afterAll(async () => {
  await close?.();
  await handle?.close();
});

/** The warn lines about failed credentials written so far. */
const failureLines = () =>
  output
    .split("\n")
    .filter((line) => line.includes("failed credentials"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A login form sent from `address` (behind the one trusted proxy), with the page's CSRF token and cookie. */
async function logIn(face: "console" | "portal", address: string, email: string, password: string) {
  const headers = { "x-forwarded-for": address };
  const page = await fetch(`${url}/${face}/login`, { headers });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const answer = await fetch(`${url}/${face}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  await answer.arrayBuffer();
  return answer.status;
}

it("logs a wrong and a missing admin key once an address, at warn, with route, address and reason", async () => {
  for (let i = 0; i < 5; i++) {
    const wrong = await fetch(`${url}/api/v1/customers?page=1`, {
      headers: { authorization: `Bearer ${WRONG_KEY}`, "x-forwarded-for": "198.51.100.9" },
    });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
  }
  const missing = await fetch(`${url}/api/v1/customers`, { headers: { "x-forwarded-for": "198.51.100.10" } });
  expect(missing.status).toBe(401);
  await missing.arrayBuffer();
  const right = await fetch(`${url}/api/v1/customers`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "x-forwarded-for": "198.51.100.11" },
  });
  expect(right.status).toBe(200);
  await right.arrayBuffer();
  const lines = failureLines();
  // One line for the five wrong keys of one address (the other four wait for the minute's count).
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({
    level: 40,
    route: "GET /api/v1/customers",
    address: "198.51.100.9",
    reason: "wrong key",
    count: 1,
  });
  expect(lines[1]).toMatchObject({ level: 40, address: "198.51.100.10", reason: "missing key" });
  expect(output).not.toContain(WRONG_KEY.slice(3, 15));
  expect(output).not.toContain(ADMIN_KEY.slice(0, 12));
});

it("logs a failed console and portal login without the password or the e-mail typed", async () => {
  const before = failureLines().length;
  expect(await logIn("console", "203.0.113.20", "owner@example.com", WRONG_PASSWORD)).toBe(401);
  expect(await logIn("portal", "203.0.113.21", "ada@example.com", WRONG_PASSWORD)).toBe(401);
  // A right login is no failure.
  expect(await logIn("console", "203.0.113.22", "owner@example.com", PASSWORD)).toBe(303);
  const lines = failureLines().slice(before);
  expect(lines).toEqual([
    expect.objectContaining({
      level: 40,
      route: "POST /console/login",
      address: "203.0.113.20",
      reason: "wrong e-mail or password",
    }),
    expect.objectContaining({
      level: 40,
      route: "POST /portal/login",
      address: "203.0.113.21",
      reason: "wrong e-mail or password",
    }),
  ]);
  for (const secret of [WRONG_PASSWORD, PASSWORD, "owner@example.com", "ada@example.com"])
    expect(JSON.stringify(lines)).not.toContain(secret);
  expect(output).not.toContain(WRONG_PASSWORD);
});

it("logs a wrong and a missing GetTokenPricing token and a bad or expired sign-on link, without them", async () => {
  const before = failureLines().length;
  const pricing = async (address: string, token?: string) => {
    const fields = new URLSearchParams({
      action: "GetTokenPricing",
      userid: "1",
      ...(token ? { token } : {}),
    });
    const answer = await fetch(`${url}/solusio/api`, {
      method: "POST",
      headers: { "x-forwarded-for": address, "content-type": "application/x-www-form-urlencoded" },
      body: fields.toString(),
    });
    await answer.arrayBuffer();
    return answer.status;
  };
  expect(await pricing("192.0.2.30", WRONG_TOKEN)).toBe(401);
  expect(await pricing("192.0.2.31")).toBe(401);
  const nonce = "n".repeat(22);
  const link = async (address: string, expires: number) => {
    const answer = await fetch(
      `${url}/sso/solusio?customer=1&expires=${expires}&nonce=${nonce}&sig=${WRONG_SIG}`,
      { headers: { "x-forwarded-for": address }, redirect: "manual" },
    );
    await answer.arrayBuffer();
    return answer.status;
  };
  expect(await link("192.0.2.32", Math.floor(Date.now() / 1000) + 600)).toBe(403);
  expect(await link("192.0.2.33", 1)).toBe(403);
  const lines = failureLines().slice(before);
  expect(lines).toEqual([
    expect.objectContaining({
      level: 40,
      route: "POST /solusio/api",
      address: "192.0.2.30",
      reason: "wrong token",
    }),
    expect.objectContaining({
      level: 40,
      route: "POST /solusio/api",
      address: "192.0.2.31",
      reason: "missing token",
    }),
    expect.objectContaining({
      level: 40,
      route: "GET /sso/solusio",
      address: "192.0.2.32",
      reason: "bad or expired link",
    }),
    expect.objectContaining({
      level: 40,
      route: "GET /sso/solusio",
      address: "192.0.2.33",
      reason: "bad or expired link",
    }),
  ]);
  for (const secret of [WRONG_TOKEN, PRICING_TOKEN, WRONG_SIG, nonce]) expect(output).not.toContain(secret);
});
