import { connect } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { ADMIN_TOKEN, BASIC_SEED, client, reset, setClock, startTestEmulator } from "./helpers.ts";

// Every answer carries a Date header from the emulator's clock, never the system clock: a client that
// compares server time with its own sees the month the test is running in.

const HALLOWEEN = "Sat, 31 Oct 2026 22:30:00 GMT";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(async () => {
  await reset(em);
  await setClock(em, { now: "2026-10-31T22:30:00Z" });
});

async function answerOf(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; date: string | null }> {
  const res = await fetch(`${em.url}${path}`, { redirect: "manual", ...init });
  await res.arrayBuffer();
  return { status: res.status, date: res.headers.get("date") };
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe("the Date header", () => {
  it("is the emulator's clock on the answer that sets it, and moves with it", async () => {
    const set = await client(em).post("/_emulator/clock", { now: "2026-10-31T22:30:00Z" });
    expect(set.headers.get("date")).toBe(HALLOWEEN);
    expect((await client(em).get("account")).headers.get("date")).toBe(HALLOWEEN);
    await setClock(em, { advance_hours: 2, advance_seconds: 5 });
    expect((await client(em).get("users")).headers.get("date")).toBe("Sun, 01 Nov 2026 00:30:05 GMT");
  });

  it("is on every kind of answer, exactly once", async () => {
    const answers: [number, string, RequestInit?][] = [
      [201, "/api/v1/users", { method: "POST", headers: admin, body: '{"email":"d@example.com"}' }],
      [204, "/api/v1/plans/5", { method: "DELETE", headers: admin }],
      [422, "/api/v1/users", { method: "POST", headers: admin, body: "{}" }],
      [404, "/api/v1/no-such-thing"],
      [404, "/no-such-page"],
      [405, "/api/v1/users", { method: "DELETE", headers: admin }],
      [401, "/api/v1/users"],
      [403, "/api/v1/users", { headers: { authorization: "Bearer alice-token-0123456789" } }],
      [400, "/api/v1/users", { method: "POST", headers: admin, body: "{nope" }],
      [413, "/api/v1/users", { method: "POST", headers: admin, body: `"${"x".repeat(1_100_000)}"` }],
      [400, "/api/v1/users/%zz"],
      [401, "/"],
      [401, "/auth/by_token/unknown"],
      [200, "/_emulator/health"],
    ];
    for (const [status, path, init] of answers) {
      expect({ path, ...(await answerOf(path, init)) }).toEqual({ path, status, date: HALLOWEEN });
    }
  });

  it("is on injected faults, json, html and after-the-work ones", async () => {
    await client(em).post("/_emulator/faults", {
      rules: [
        { path: "/api/v1/plans", error_rate: 1 },
        { path: "/api/v1/roles", error_rate: 1, error_body: "html" },
        { path: "/api/v1/users", fail_after_rate: 1 },
      ],
    });
    for (const path of ["plans", "roles", "users"]) {
      const res = await client(em).get(path);
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers.get("date")).toBe(HALLOWEEN);
    }
  });

  it("is on the answer to a request that is not valid HTTP", async () => {
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(em.url).port), "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write("GET /api/v1/users HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n");
    });
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toContain(`Date: ${HALLOWEEN}\r\n`);
    expect(head).toContain('{"message":"The request is not valid HTTP."}');
  });
});
