import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../test/helpers/raw-http.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { clientAddress, proxyTrust } from "./client-address.ts";

// TRUST_PROXY believes X-Forwarded-For only from the hops it names. A proxy that appends to the header
// (nginx's $proxy_add_x_forwarded_for) passes on whatever the client wrote in front of the address it adds,
// so the client address is the right-most entry the proxy wrote, never the left-most.

let handle: DatabaseHandle;
let server: TestServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, {
    TRUST_PROXY: "true",
    AUTH_FAILURES_PER_MINUTE: 2,
    SOLUSIO_PRICING_TOKEN: "pricing-token-for-tests",
  });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** request.ip, and the fast path's address for the same raw request, with TRUST_PROXY set to `setting`. */
async function addressesSeen(setting: string, forwardedFor: string) {
  const trust = proxyTrust(parseConfig({ TRUST_PROXY: setting }).TRUST_PROXY);
  const app = Fastify({ trustProxy: trust });
  app.get("/ip", async (request) => ({ ip: request.ip, raw: clientAddress(request.raw, trust) }));
  const answer = await app.inject({
    method: "GET",
    url: "/ip",
    remoteAddress: "127.0.0.1",
    headers: { "x-forwarded-for": forwardedFor },
  });
  await app.close();
  return answer.json() as { ip: string; raw: string };
}

describe("TRUST_PROXY", () => {
  it("with yes, takes the address the proxy appended, not the one the client wrote", async () => {
    expect(await addressesSeen("true", "203.0.113.9, 10.0.0.1")).toEqual({ ip: "10.0.0.1", raw: "10.0.0.1" });
  });

  it("with a hop count or the proxies' addresses, walks back through exactly those", async () => {
    const header = "203.0.113.9, 198.51.100.4, 10.0.0.1";
    expect(await addressesSeen("2", header)).toEqual({ ip: "198.51.100.4", raw: "198.51.100.4" });
    expect(await addressesSeen("127.0.0.1, 10.0.0.0/8", header)).toEqual({
      ip: "198.51.100.4",
      raw: "198.51.100.4",
    });
    // A peer that is not a listed proxy is the client, whatever it says it forwards.
    expect(await addressesSeen("10.0.0.0/8", header)).toEqual({ ip: "127.0.0.1", raw: "127.0.0.1" });
    expect(await addressesSeen("false", header)).toEqual({ ip: "127.0.0.1", raw: "127.0.0.1" });
  });

  it("counts a client's wrong secrets under the proxy's address for it, however it fills the header", async () => {
    const guess = (clientWrote: string) =>
      rawRequest(server.url, {
        method: "GET",
        path: "/api/v1/customers",
        headers: { authorization: "Bearer tbk_guess", "x-forwarded-for": `${clientWrote}, 10.0.0.1` },
      });
    expect((await guess("203.0.113.9")).status).toBe(401);
    expect((await guess("203.0.113.10")).status).toBe(401);
    // Until 2026-12-04 each new left-most entry was a new address with a fresh count.
    expect((await guess("203.0.113.11")).status).toBe(429);
  });

  it("does the same on GetTokenPricing's fast path", async () => {
    const ask = (clientWrote: string) =>
      rawRequest(server.url, {
        method: "POST",
        path: "/solusio/api",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-forwarded-for": `${clientWrote}, 10.0.0.2`,
        },
        body: "token=wrong&action=GetTokenPricing&userid=999",
      });
    expect((await ask("203.0.113.9")).status).toBe(401);
    expect((await ask("203.0.113.10")).status).toBe(401);
    expect((await ask("203.0.113.11")).status).toBe(429);
  });
});
