import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hiddenOf, PageClient } from "../../test/helpers/page-client.ts";
import { rawRequest } from "../../test/helpers/raw-http.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { MAX_FORM_FIELDS, TOO_MANY_FIELDS } from "./form-field-limit.ts";
import { PAGE_BODY_LIMIT_BYTES } from "../web/page-body-type.ts";
import { PRICING_BODY_LIMIT_BYTES } from "./routes/get-token-pricing-route.ts";

// Bodies parsed before any credential is checked (the login forms, GetTokenPricing) are bounded by what
// parsing them costs, not only by their size: a form by its number of fields (form-field-limit.ts), a page's
// body by its type (src/web/page-body-type.ts), GetTokenPricing's by its own small limit. Each case below
// sends what used to be parsed and answered (a login, a price) and requires the refusal instead.

const PASSWORD = "public body bounds password";
let handle: DatabaseHandle;
let server: TestServer;
let customerId: number;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  customerId = (
    await createCustomer({ ctx, input: { email: "ada@example.com", country: "GB", currency: "USD" } })
  ).id;
  await setPortalPassword({ ctx, input: { customer_id: customerId, password: PASSWORD } });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** `count` fields named pad0, pad1, … */
function padding(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`pad${i}`, "1"]));
}

describe("a form's number of fields", () => {
  it("refuses a login form of more than MAX_FORM_FIELDS fields with a 413 page, before it logs anyone in", async () => {
    const browser = new PageClient(server.url);
    const credentials = { email: "ada@example.com", password: PASSWORD };
    const answer = await browser.submit("/portal/login", "/portal/login", {
      ...credentials,
      ...padding(MAX_FORM_FIELDS),
    });
    expect(answer.status).toBe(413);
    expect(answer.type).toContain("text/html");
    expect(answer.text).toContain("could not be understood");
    expect(browser.cookies.has("tb_portal")).toBe(false);
  });

  it("takes a form of exactly MAX_FORM_FIELDS fields", async () => {
    const browser = new PageClient(server.url);
    // _csrf, email and password are three of them.
    const answer = await browser.submit("/portal/login", "/portal/login", {
      email: "ada@example.com",
      password: PASSWORD,
      ...padding(MAX_FORM_FIELDS - 3),
    });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe("/portal");
  });

  it("refuses GetTokenPricing's form of too many fields with 413 in the envelope on both paths, and goes on serving", async () => {
    const body = new URLSearchParams({
      action: "GetTokenPricing",
      userid: String(customerId),
      ...padding(MAX_FORM_FIELDS),
    }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    // The fast path (exactly the path) and the router (a query string) alike.
    for (const path of ["/solusio/api", "/solusio/api?x"]) {
      const refused = await rawRequest(server.url, { method: "POST", path, headers, body });
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.text).error).toMatchObject({
        code: "PAYLOAD_TOO_LARGE",
        message: TOO_MANY_FIELDS,
      });
    }
    // Over the route's byte limit as well as the field count: both refusals race, and neither may be left
    // without a listener (the count's error once ended the process).
    const both = `${body}&${"z=1&".repeat(PRICING_BODY_LIMIT_BYTES / 2)}`;
    expect(
      (await rawRequest(server.url, { method: "POST", path: "/solusio/api?x", headers, body: both })).status,
    ).toBe(413);
    const plain = `action=GetTokenPricing&userid=${customerId}`;
    expect(
      (await rawRequest(server.url, { method: "POST", path: "/solusio/api?x", headers, body: plain })).status,
    ).toBe(200);
  });
});

describe("a page's body type", () => {
  it("refuses a public form sent as JSON with 415, before it is parsed", async () => {
    const browser = new PageClient(server.url);
    const { _csrf } = hiddenOf((await browser.get("/portal/login")).text);
    const answer = await fetch(`${server.url}/portal/login`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/json",
        cookie: browser.cookies.headerFor("/portal/login"),
      },
      body: JSON.stringify({ _csrf, email: "ada@example.com", password: PASSWORD }),
    });
    expect(answer.status).toBe(415);
    expect(answer.headers.get("content-type")).toContain("text/html");
    expect(answer.headers.getSetCookie().some((line) => line.startsWith("tb_portal="))).toBe(false);
  });

  it("refuses a logged-in staff user's JSON and plain-text posts with 415, and the session stays", async () => {
    const browser = await new PageClient(server.url).logInTo("console", "owner@example.com", PASSWORD);
    const { _csrf } = hiddenOf((await browser.get("/console")).text);
    const cookie = browser.cookies.headerFor("/console/logout");
    for (const [type, body] of [
      ["application/json", JSON.stringify({ _csrf })],
      ["text/plain", `_csrf=${_csrf}`],
    ] as const) {
      const answer = await fetch(`${server.url}/console/logout`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": type, cookie },
        body,
      });
      expect(answer.status).toBe(415);
    }
    expect((await browser.get("/console")).status).toBe(200);
  });
});

describe("a page's body size", () => {
  it("refuses a public form over PAGE_BODY_LIMIT_BYTES with a 413 page, and reshows one within it", async () => {
    const browser = new PageClient(server.url);
    const over = await browser.submit("/portal/login", "/portal/login", {
      email: "e".repeat(PAGE_BODY_LIMIT_BYTES),
      password: "x",
    });
    expect(over.status).toBe(413);
    expect(over.type).toContain("text/html");
    // A field over its 10,000 characters but within the page's limit is cut and shown again, as before.
    const within = await browser.submit("/portal/login", "/portal/login", {
      email: "e".repeat(20_000),
      password: "x",
    });
    expect(within.status).toBe(400);
    expect(within.text).toContain("Was longer than 10,000 characters");
  });
});

describe("GetTokenPricing's body limit", () => {
  const price = (body: string, type: string, path = "/solusio/api") =>
    rawRequest(server.url, { method: "POST", path, headers: { "content-type": type }, body });

  it("refuses a JSON body over PRICING_BODY_LIMIT_BYTES with 413", async () => {
    const fields = { action: "GetTokenPricing", userid: String(customerId), pad: "x" };
    const within = JSON.stringify(fields);
    expect((await price(within, "application/json")).status).toBe(200);
    const over = JSON.stringify({ ...fields, pad: "x".repeat(PRICING_BODY_LIMIT_BYTES) });
    const answer = await price(over, "application/json");
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses a form over it on both paths alike", async () => {
    const over = `action=GetTokenPricing&userid=${customerId}&pad=${"x".repeat(PRICING_BODY_LIMIT_BYTES)}`;
    const form = "application/x-www-form-urlencoded";
    expect((await price(over, form)).status).toBe(413);
    expect((await price(over, form, "/solusio/api?x")).status).toBe(413);
  });
});
