import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import type { SolusioCall } from "./call-log.ts";
import { maskSecrets } from "./call-log.ts";
import { SolusioUser } from "./schemas.ts";
import { SolusioClient } from "./solusio-client.ts";
import { SolusioError } from "./solusio-error.ts";

// The SolusIO client against the emulator over loopback, with the emulator's fault injection.

let emulator: RunningEmulator;
const unexpected = (): never => {
  throw new Error("the call was expected to fail");
};
let calls: SolusioCall[];
let client: SolusioClient;

async function faults(rules: unknown[]) {
  await fetch(`${emulator.url}/_emulator/faults`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ rules }),
  });
}

/** How many requests the emulator's first fault rule has matched so far. */
function faultMatches(): number {
  const [rule] = emulator.emulator.faults.list() as { matched: number }[];
  return rule?.matched ?? 0;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: false });
  client = new SolusioClient({
    baseUrl: emulator.apiUrl,
    token: emulator.adminToken,
    maxRetries: 3,
    backoffBaseMs: 1,
    backoffCapMs: 5,
    timeoutMs: 300,
    recorder: (c) => calls.push(c),
  });
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

describe("SolusioClient", () => {
  it("retries 5xx and dropped connections, then succeeds", async () => {
    calls = [];
    await faults([{ path: "/api/v1/account", error_rate: 1, error_status: [503, 502], times: 2 }]);
    await client.call("GET", "account");
    expect(calls.map((c) => c.status)).toEqual([503, 502, 200]);
    calls = [];
    await faults([{ path: "/api/v1/account", drop_rate: 1, times: 1 }]);
    await client.call("GET", "account");
    expect(calls.map((c) => c.status)).toEqual([null, 200]);
    expect(calls[0]!.error).toBeTruthy();
  });

  it("gives up after the retry budget with a retryable error, and copes with a non-JSON body", async () => {
    calls = [];
    await faults([{ path: "/api/v1/account", error_rate: 1, error_status: 502, error_body: "html" }]);
    const error = await client.call("GET", "account").then(unexpected, (e: SolusioError) => e);
    await faults([]);
    expect(error).toBeInstanceOf(SolusioError);
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(502);
    expect(calls).toHaveLength(4);
  });

  it("cancels the attempt in flight when its signal is aborted, and retries nothing after it", async () => {
    calls = [];
    // One attempt's timeout is 300 ms: a 2 s answer would be retried four times without the signal.
    await faults([{ path: "/api/v1/account", latency_ms: 2000 }]);
    const stopping = new AbortController();
    const pending = client
      .withOptions({ signal: stopping.signal })
      .call("GET", "account")
      .then(unexpected, (e: SolusioError) => e);
    // The attempt is under way once the emulator's latency rule has matched it (it answers 2 s later).
    await waitUntil("the emulator to receive the attempt", () => faultMatches() === 1);
    stopping.abort();
    const error = await pending;
    await faults([]);
    expect(error.message).toMatch(/cancelled, the process is stopping/);
    expect(error.retryable).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it("never retries a 4xx, and turns a 422 into an error naming the fields", async () => {
    calls = [];
    const notFound = await client.call("GET", "users/999999").then(unexpected, (e: SolusioError) => e);
    expect(notFound.status).toBe(404);
    expect(notFound.retryable).toBe(false);
    expect(calls).toHaveLength(1);
    calls = [];
    const invalid = await client
      .call("POST", "users", { body: { email: "not-an-email", password: "secret-pw" } })
      .then(unexpected, (e: SolusioError) => e);
    expect(invalid.status).toBe(422);
    expect(Object.keys(invalid.fields)).toContain("email");
    expect(invalid.message).toMatch(/email: /);
    expect(calls).toHaveLength(1);
    expect(maskSecrets(calls[0]!.requestBody)).toEqual({ email: "not-an-email", password: "********" });
  });

  it("times out a slow answer and retries it", async () => {
    calls = [];
    await faults([{ path: "/api/v1/account", latency_ms: 1000, times: 1 }]);
    await client.call("GET", "account");
    expect(calls).toHaveLength(2);
    expect(calls[0]!.error).toMatch(/timeout/i);
  });

  it("follows pagination to the last page", async () => {
    for (let i = 0; i < 35; i++) {
      await client.call("POST", "users", { body: { email: `page${i}@example.com`, password: "pw-123456" } });
    }
    calls = [];
    const users = await client.listAll("users", SolusioUser, { "filter[search]": "page", per_page: 10 });
    expect(users).toHaveLength(35);
    expect(new Set(users.map((u) => u.email)).size).toBe(35);
    expect(calls.map((c) => c.path)).toEqual(["users", "users", "users", "users"]);
  });

  it("rejects an answer that does not match the schema, without retrying", async () => {
    calls = [];
    const error = await client
      .call("GET", "account", { schema: SolusioUser })
      .then(unexpected, (e: SolusioError) => e);
    // `account` answers {data: User}; validating it as a bare User must fail clearly.
    expect(error).toBeInstanceOf(SolusioError);
    expect(error.message).toMatch(/unexpected answer/);
    expect(error.retryable).toBe(false);
    expect(calls).toHaveLength(1);
  });
});

describe("SolusioClient and Retry-After", () => {
  const withCap = (backoffCapMs: number) =>
    new SolusioClient({
      baseUrl: emulator.apiUrl,
      token: emulator.adminToken,
      maxRetries: 3,
      backoffBaseMs: 1,
      backoffCapMs,
      timeoutMs: 1_000,
      recorder: (c) => calls.push(c),
    });

  it("a 429 asking for longer than the client waits between attempts ends the call, carrying the wait", async () => {
    const short = withCap(5);
    try {
      calls = [];
      await faults([{ path: "/api/v1/account", error_rate: 1, error_status: 429, retry_after: 30 }]);
      const started = performance.now();
      const error = await short.call("GET", "account").then(unexpected, (e: SolusioError) => e);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(error.status).toBe(429);
      expect(error.retryable).toBe(true);
      expect(error.retryAfterMs).toBe(30_000);
      // Not 4 attempts in a few milliseconds: one, and the wait goes to the caller.
      expect(calls).toHaveLength(1);
    } finally {
      await faults([]);
      await short.close();
    }
  });

  it("a 429 asking for a wait within the client's own is retried no sooner than asked", async () => {
    const patient = withCap(2_000);
    try {
      calls = [];
      await faults([{ path: "/api/v1/account", error_rate: 1, error_status: 429, retry_after: 1, times: 1 }]);
      const started = performance.now();
      await patient.call("GET", "account");
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
      expect(calls.map((c) => c.status)).toEqual([429, 200]);
    } finally {
      await faults([]);
      await patient.close();
    }
  });
});

describe("SolusioClient's timeout bounds a whole attempt", () => {
  it("gives up on an answer trickled a byte at a time after timeoutMs, not after the last byte", async () => {
    // Headers at once, then one byte every 50 ms of a 40-byte body: 2 s in all, each gap far below the
    // timeout, which undici's bodyTimeout alone restarted with every byte.
    const body = JSON.stringify({ data: { id: 1, note: "x".repeat(20) } });
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(body[i++]);
      }, 50);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const slow = new SolusioClient({
      baseUrl: `http://127.0.0.1:${port}/api/v1`,
      token: "t",
      maxRetries: 0,
      timeoutMs: 300,
      recorder: (c) => calls.push(c),
    });
    try {
      calls = [];
      const started = performance.now();
      const error = await slow.call("GET", "account").then(unexpected, (e: SolusioError) => e);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(error).toBeInstanceOf(SolusioError);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/timeout of 300 ms/);
    } finally {
      await slow.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
