import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, startTestEmulator } from "./helpers.ts";

// One log line per request, from the emulator itself (Fastify's request logging is off), never with the query
// string, headers or a login token.

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
    done();
  },
});

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED, logger: pino({ level: "info" }, sink) });
});
afterAll(() => em.close());

/** The log holds `count` lines: onResponse logs once the answer is written, after the client may have read it. */
async function logged(count: number): Promise<void> {
  await waitUntil(`${count} log lines`, () => lines.length >= count);
}

describe("request logging", () => {
  it("logs one line per request: method, path without query, status, ms", async () => {
    lines.length = 0;
    await client(em).get("users?filter%5Bsearch%5D=alice%40example.com");
    await client(em).get("no-such-thing");
    await logged(2);
    const requests = lines.filter((l) => l["msg"] === "request");
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: "GET", path: "/api/v1/users", status: 200 },
      { method: "GET", path: "/api/v1/no-such-thing", status: 404 },
    ]);
    expect(requests[0]?.["ms"]).toBeTypeOf("number");
    expect(lines.length).toBe(2);
    expect(JSON.stringify(lines)).not.toContain("alice");
  });

  it("hides a login token in the path and never logs the Authorization header", async () => {
    lines.length = 0;
    await fetch(`${em.url}/auth/by_token/secret-login-token-123`, { redirect: "manual" });
    await logged(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ path: "/auth/by_token/***", status: 401 });
    expect(JSON.stringify(lines)).not.toContain("secret-login-token");
    expect(JSON.stringify(lines)).not.toContain(em.adminToken);
  });

  it("says when a fault decided the answer", async () => {
    await client(em).post("/_emulator/faults", { path: "/api/v1/users", fail_after_rate: 1, times: 1 });
    lines.length = 0;
    expect((await client(em).post("users", { email: "logged@example.com" })).status).toBe(502);
    await logged(2);
    expect(lines.map((l) => l["msg"])).toEqual([
      "fault: answered with an error after handling the request",
      "request",
    ]);
    expect(lines[0]).toMatchObject({ status: 502, real: 201 });
    expect(JSON.stringify(lines)).not.toContain("logged@example.com");
  });
});
