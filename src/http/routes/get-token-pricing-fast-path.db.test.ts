import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../../test/helpers/raw-http.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { PricingIndex } from "../../services/pricing/pricing-index.ts";
import { SecretFailureLimiter } from "../secret-failure-limiter.ts";
import { pricingEndpoint, pricingFastPath } from "./get-token-pricing-route.ts";

// SolusIO's plain request (POST to exactly PRICING_PATH, form-urlencoded, with a Content-Length) is answered
// in front of Fastify; every other request reaches the Fastify route. Both must answer alike: the same
// request sent down each path (a query string sends it to Fastify's route) gets the same status, headers
// and body, but for the date and the error's request id.

let handle: DatabaseHandle;
let server: TestServer;
let limited: TestServer; // three wrong tokens a minute
const TOKEN = "fast-path-token";
let customerId: number;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { SOLUSIO_PRICING_TOKEN: TOKEN });
  limited = await startTestServer(handle.db, { SOLUSIO_PRICING_TOKEN: TOKEN, AUTH_FAILURES_PER_MINUTE: 3 });
  const created = await server.api("POST", "/api/v1/customers", {
    email: "fast@example.com",
    country: "GB",
    currency: "USD",
  });
  expect(created.status).toBe(201);
  customerId = created.body.data.id;
});
afterAll(async () => {
  await server?.close();
  await limited?.close();
  await handle?.close();
});

async function post(path: string, body: string, headers: Record<string, string> = {}, to = server) {
  const answer = await rawRequest(to.url, {
    method: "POST",
    path,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
  const { date: _date, ...rest } = answer.headers as Record<string, unknown>;
  const text = answer.text.replace(/"requestId":"[^"]*"/, '"requestId":"…"');
  return { status: answer.status, headers: rest, text };
}

describe("GetTokenPricing's fast path and its Fastify route", () => {
  const bodies = () => [
    `token=${TOKEN}&action=GetTokenPricing&userid=${customerId}`,
    `token=${TOKEN}&action=GetTokenPricing&userid=${customerId}&extra=ignored`,
    `token=${TOKEN}&action=GetTokenPricing&userid=987654`,
    `token=${TOKEN}&action=GetTokenPricing&userid=0`,
    `token=${TOKEN}&action=GetTokenPricing&userid=abc`,
    `token=${TOKEN}&action=GetTokenPricing`,
    `token=${TOKEN}&action=Other&userid=${customerId}`,
    `token=${TOKEN}&token=${TOKEN}&action=GetTokenPricing&userid=${customerId}`,
    `token=${encodeURIComponent(TOKEN)}&action=GetTokenPricing&userid=%31`,
    "",
    "%%%&&&===",
  ];

  it("answer every body alike", async () => {
    for (const body of bodies()) {
      const fast = await post("/solusio/api", body);
      const routed = await post("/solusio/api?via=fastify", body);
      expect(fast, body).toEqual(routed);
    }
    const ok = await post("/solusio/api", bodies()[0]!);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).currency.code).toBe("USD");
    expect(ok.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answer a customer whose prices carry non-ASCII symbols alike, in ASCII bytes that say the same", async () => {
    const created = await server.api("POST", "/api/v1/customers", {
      email: "euro@example.com",
      country: "DE",
      currency: "EUR",
    });
    expect(created.status).toBe(201);
    const body = `token=${TOKEN}&action=GetTokenPricing&userid=${created.body.data.id}`;
    const fast = await post("/solusio/api", body);
    expect(fast).toEqual(await post("/solusio/api?via=fastify", body));
    expect(fast.status).toBe(200);
    // The fast path writes the answer as latin1 (the same bytes as UTF-8 for ASCII): every byte below 0x80,
    // as many as Content-Length says, and "€" arrives as the escape JSON reads back as "€".
    // (A text's UTF-8 length equals its length in characters only when every character is ASCII.)
    expect(Buffer.byteLength(fast.text)).toBe(fast.text.length);
    expect(Number(fast.headers["content-length"])).toBe(fast.text.length);
    expect(fast.text).toContain("\\u20ac");
    expect(JSON.parse(fast.text).currency.display_prefix).toBe("€");
  });

  it("take the token from a Bearer header alike, and count wrong ones alike until 429", async () => {
    const body = `action=GetTokenPricing&userid=${customerId}`;
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect(await post("/solusio/api", body, bearer)).toEqual(await post("/solusio/api?b", body, bearer));
    const wrong = `token=wrong&action=GetTokenPricing&userid=${customerId}`;
    // Three wrong tokens a minute are allowed (AUTH_FAILURES_PER_MINUTE=3), from either path, one count.
    const statuses = [];
    for (const path of ["/solusio/api", "/solusio/api?x", "/solusio/api", "/solusio/api?x"])
      statuses.push((await post(path, wrong, {}, limited)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const fast = await post("/solusio/api", wrong, {}, limited);
    const routed = await post("/solusio/api?x", wrong, {}, limited);
    expect(fast.status).toBe(429);
    expect(fast.headers["retry-after"]).toMatch(/^\d+$/);
    expect({ ...fast, headers: { ...fast.headers, "retry-after": "n" } }).toEqual({
      ...routed,
      headers: { ...routed.headers, "retry-after": "n" },
    });
  });

  // docs/billing.md promises 415 for any type but form-urlencoded or JSON; until 2026-12 Fastify's default
  // text/plain parser took such a body, which then lacked a token: 401, counted as a wrong guess.
  it("answer a text/plain body 415 alike, as any other type, without counting a wrong token", async () => {
    // A server of its own: the test above leaves `limited`'s address blocked for the minute.
    const strict = await startTestServer(handle.db, {
      SOLUSIO_PRICING_TOKEN: TOKEN,
      AUTH_FAILURES_PER_MINUTE: 3,
    });
    try {
      const body = `token=wrong&action=GetTokenPricing&userid=${customerId}`;
      const plain = { "content-type": "text/plain" };
      for (let i = 0; i < 5; i++) {
        const fast = await post("/solusio/api", body, plain, strict);
        expect(fast.status).toBe(415);
        expect(fast).toEqual(await post("/solusio/api?via=fastify", body, plain, strict));
      }
      const right = `token=${TOKEN}&action=GetTokenPricing&userid=${customerId}`;
      expect(
        (await post("/solusio/api", right, { "content-type": "text/plain; charset=utf-8" })).status,
      ).toBe(415);
      const xml = await post("/solusio/api", right, { "content-type": "application/xml" });
      const text = await post("/solusio/api", right, { "content-type": "text/plain" });
      expect(text.text.replace("text/plain", "T")).toEqual(xml.text.replace("application/xml", "T"));
      // Ten wrong tokens in text/plain, three allowed a minute: none was counted.
      expect((await post("/solusio/api", right, {}, strict)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it("goes on answering after a client went away mid-body (no error left unhandled)", async () => {
    // The server's side of the request: read in part, then closed. An error nobody listened for would be
    // emitted before its close, so once closed there is none to come. Plain listeners, not events.once: its
    // "error" listener would be one, and Node emits an aborted request's error only to listeners.
    const heard = (req: IncomingMessage, event: string) =>
      new Promise<void>((resolve) => req.once(event, () => resolve()));
    const serverSide = new Promise<{ read: Promise<void>; closed: Promise<void> }>((resolve) =>
      server.app.server.once("request", (req: IncomingMessage) =>
        resolve({ read: heard(req, "data"), closed: heard(req, "close") }),
      ),
    );
    const { port, hostname } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      "POST /solusio/api HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n" +
        `content-length: 200\r\n\r\ntoken=${TOKEN}`,
    );
    const request = await serverSide;
    await request.read;
    socket.destroy();
    await request.closed;

    const after = await post("/solusio/api", `token=${TOKEN}&action=GetTokenPricing&userid=${customerId}`);
    expect(after.status).toBe(200);
  });

  it("leaves a body over the limit to Fastify's 413", async () => {
    const big = `token=${TOKEN}&action=GetTokenPricing&userid=${customerId}&pad=${"x".repeat(1_100_000)}`;
    expect((await post("/solusio/api", big)).status).toBe(413);
  });
});

describe("the fast path", () => {
  it("takes only SolusIO's plain request and leaves every other one to Fastify", async () => {
    const observed: number[] = [];
    const endpoint = pricingEndpoint({
      path: "/solusio/api",
      token: TOKEN,
      index: new PricingIndex(handle.db, 1000),
      limiter: new SecretFailureLimiter(100),
      observe: (status) => observed.push(status),
    });
    const fast = pricingFastPath(endpoint, {
      bodyLimit: 1024,
      trustProxy: false,
      requestId: () => "req_test",
      logger: pino({ level: "silent" }),
    });
    const left: string[] = [];
    const plain = createServer((req, res) => {
      if (fast(req, res)) return;
      left.push(`${req.method} ${req.url} ${req.headers["content-type"] ?? ""}`);
      req.resume();
      res.writeHead(299).end();
    });
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const body = `token=${TOKEN}&action=GetTokenPricing&userid=${customerId}`;
    const form = "application/x-www-form-urlencoded";
    const send = (path: string, contentType: string, text = body, method = "POST") =>
      rawRequest(url, { method, path, headers: { "content-type": contentType }, body: text });
    try {
      expect((await send("/solusio/api", form)).status).toBe(200);
      expect((await send("/solusio/api", `${form}; charset=UTF-8`)).status).toBe(200);
      expect((await send("/solusio/api", form, `token=${TOKEN}&action=Other`)).status).toBe(400);
      expect(observed).toEqual([200, 200, 400]);
      for (const [path, type, text, method] of [
        ["/solusio/api?x=1", form, body, "POST"],
        ["/solusio/api/", form, body, "POST"],
        ["/%73olusio/api", form, body, "POST"],
        ["/solusio/api", "application/json", JSON.stringify({ action: "GetTokenPricing" }), "POST"],
        ["/solusio/api", "text/plain", body, "POST"],
        ["/solusio/api", form, "x".repeat(2000), "POST"],
        ["/solusio/api", form, body, "PUT"],
      ] as const)
        expect((await send(path, type, text, method)).status, `${method} ${path} ${type}`).toBe(299);
      expect(left).toHaveLength(7);
      expect(observed).toHaveLength(3);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
