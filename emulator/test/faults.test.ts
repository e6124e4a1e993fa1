import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, startTestEmulator } from "./helpers.ts";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

const faults = (body: unknown) => client(em).post("/_emulator/faults", body);

describe("/_emulator/faults", () => {
  it("is guarded by the admin token: none or a user's token → 401", async () => {
    expect((await client(em, null).get("/_emulator/faults")).status).toBe(401);
    expect((await client(em, "alice-token-0123456789").post("/_emulator/faults", { rules: [] })).status).toBe(
      401,
    );
  });

  it("answers a share of 503s on matching paths only, as JSON", async () => {
    const set = await faults({ rules: [{ path: "/api/v1/servers*", error_rate: 1, error_status: 503 }] });
    expect(set.status).toBe(200);
    expect(set.body.data[0]).toMatchObject({ path: "/api/v1/servers*", error_rate: 1, error_status: [503] });
    const res = await client(em).get("servers");
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/Injected fault/);
    expect((await client(em).get("servers/1")).status).toBe(503);
    expect((await client(em).get("users")).status).toBe(200);
  });

  it("cycles through several statuses and can answer with a non-JSON (proxy) body", async () => {
    await faults({ path: "/api/v1/users", error_rate: 1, error_status: [500, 502, 503], error_body: "html" });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await client(em).get("users");
      statuses.push(res.status);
      expect(res.body).toBeNull();
      expect(res.headers.get("content-type")).toContain("text/html");
    }
    expect(statuses).toEqual([500, 502, 503]);
  });

  it("a share of 0.5 fails about half the requests, the same ones on every run", async () => {
    const run = async () => {
      await faults({ path: "/api/v1/account", error_rate: 0.5, seed: 7 });
      const out: number[] = [];
      for (let i = 0; i < 100; i++) out.push((await client(em).get("account")).status);
      return out;
    };
    const first = await run();
    const failures = first.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(30);
    expect(failures).toBeLessThan(70);
    expect(await run()).toEqual(first);
  });

  it("drops connections before answering; `times` limits a rule to the next N requests", async () => {
    await faults({ path: "/api/v1/plans", drop_rate: 1, times: 2 });
    for (let i = 0; i < 2; i++)
      await expect(
        fetch(`${em.apiUrl}/plans`, { headers: { authorization: `Bearer ${em.adminToken}` } }),
      ).rejects.toThrow();
    expect((await client(em).get("plans")).status).toBe(200);
    expect((await client(em).get("/_emulator/faults")).body.data).toEqual([]);
  });

  it("adds latency", async () => {
    await faults({ path: "/api/v1/account", latency_ms: 40 });
    const started = performance.now();
    expect((await client(em).get("account")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it("can be limited to methods, and never touches /_emulator", async () => {
    await faults({ path: "*", methods: ["post"], error_rate: 1 });
    expect((await client(em).get("users")).status).toBe(200);
    expect((await client(em).post("users", { email: "x@example.com" })).status).toBe(503);
    expect((await client(em).get("/_emulator/clock")).status).toBe(200);
  });

  it("is switched off by DELETE, an empty rule list, or a reset", async () => {
    await faults({ error_rate: 1 });
    expect((await client(em).get("users")).status).toBe(503);
    expect((await client(em).del("/_emulator/faults")).body).toEqual({ data: [] });
    expect((await client(em).get("users")).status).toBe(200);
    await faults({ error_rate: 1 });
    await faults({ rules: [] });
    expect((await client(em).get("users")).status).toBe(200);
    await faults({ error_rate: 1 });
    await reset(em);
    expect((await client(em).get("users")).status).toBe(200);
  });

  it("answers 429 with the Retry-After asked for (seconds or a date), and 5xx with one too", async () => {
    const set = await faults({ path: "/api/v1/users", error_rate: 1, error_status: 429, retry_after: 30 });
    expect(set.status).toBe(200);
    const limited = await client(em).get("users");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    await faults({
      path: "/api/v1/users",
      error_rate: 1,
      error_status: 503,
      retry_after: "Fri, 31 Dec 2027 23:59:59 GMT",
    });
    const down = await client(em).get("users");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("Fri, 31 Dec 2027 23:59:59 GMT");
    await faults({ path: "/api/v1/users", error_rate: 1, error_status: 429 });
    expect((await client(em).get("users")).headers.get("retry-after")).toBeNull();
  });

  it("refuses malformed rules with 422", async () => {
    for (const body of [
      { error_rate: 2 },
      { error_status: 404 },
      { error_status: 428 },
      { retry_after: -1 },
      { fail_after_rate: 1, after_status: 429 },
      { latency_ms: -1 },
      { rules: "all" },
      { fail_after_rate: 1.5 },
      { fail_after_rate: 1, after_status: 200 },
      { after_rate: 1 },
    ]) {
      expect((await faults(body)).status).toBe(422);
    }
  });
});

describe("fail_after_rate: the work is done, then the answer is a 5xx (solusio-api.md §1)", () => {
  const usersNamed = async (search: string) =>
    (await client(em).get(`users?filter%5Bsearch%5D=${encodeURIComponent(search)}`)).body.meta.total;

  it("a create answers 502, the user exists afterwards; with times 1 the next create is normal", async () => {
    const set = await faults({ path: "/api/v1/users", methods: ["POST"], fail_after_rate: 1, times: 1 });
    expect(set.body.data[0]).toMatchObject({ fail_after_rate: 1, after_status: [502], remaining: 1 });

    const failed = await client(em).post("users", { email: "lost-answer@example.com" });
    expect(failed.status).toBe(502);
    expect(failed.body).toEqual({ message: "Injected fault: HTTP 502." });
    expect(await usersNamed("lost-answer@example.com")).toBe(1);
    // The retry a careful client makes without looking first: the e-mail is taken, so the create was done.
    const retry = await client(em).post("users", { email: "lost-answer@example.com" });
    expect(retry.status).toBe(422);

    const next = await client(em).post("users", { email: "normal@example.com" });
    expect(next.status).toBe(201);
    expect(next.body.data.email).toBe("normal@example.com");
    expect((await client(em).get("/_emulator/faults")).body.data).toEqual([]);
  });

  it("replaces failed answers too, uses after_status in turn and the html body when asked", async () => {
    await faults({
      path: "/api/v1/users*",
      fail_after_rate: 1,
      after_status: [500, 504],
      error_body: "html",
    });
    const first = await client(em).post("users", { email: "first@example.com" });
    expect(first.status).toBe(500);
    expect(first.headers.get("content-type")).toContain("text/html");
    // A 422 from the handler is hidden as well: the client cannot tell what happened.
    const invalid = await client(em).post("users", { email: "not an e-mail" });
    expect(invalid.status).toBe(504);
    await client(em).del("/_emulator/faults");
    expect(await usersNamed("first@example.com")).toBe(1);
  });

  it("leaves other methods and paths alone", async () => {
    await faults({ path: "/api/v1/users", methods: ["POST"], fail_after_rate: 1 });
    expect((await client(em).get("users")).status).toBe(200);
    expect((await client(em).get("plans")).status).toBe(200);
  });

  it("the change is in the state file before the 502 goes out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "solusio-emulator-faults-"));
    const persisted = await startTestEmulator({ seed: BASIC_SEED, stateFile: join(dir, "state.json") });
    try {
      await client(persisted).post("/_emulator/faults", { path: "/api/v1/users", fail_after_rate: 1 });
      const res = await client(persisted).post("users", { email: "on-disk@example.com" });
      expect(res.status).toBe(502);
      expect(readFileSync(join(dir, "state.json"), "utf8")).toContain("on-disk@example.com");
    } finally {
      await persisted.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("/_emulator/clock and /_emulator/reset", () => {
  it("sets, advances and reads the clock; reset puts it back", async () => {
    const c = client(em);
    expect((await c.get("/_emulator/clock")).body.data).toEqual({
      now: "2026-10-01T00:00:00.000000Z",
      frozen: true,
    });
    expect((await c.post("/_emulator/clock", { now: "2026-10-31T22:30:00Z" })).body.data.now).toBe(
      "2026-10-31T22:30:00.000000Z",
    );
    expect((await c.post("/_emulator/clock", { advance_hours: 700 })).body.data.now).toBe(
      "2026-11-30T02:30:00.000000Z",
    );
    expect(
      (await c.post("/_emulator/clock", { advance_minutes: 30, advance_seconds: 15 })).body.data.now,
    ).toBe("2026-11-30T03:00:15.000000Z");
    const unfrozen = await c.post("/_emulator/clock", { frozen: false });
    expect(unfrozen.body.data.frozen).toBe(false);
    await reset(em);
    expect((await c.get("/_emulator/clock")).body.data).toEqual({
      now: "2026-10-01T00:00:00.000000Z",
      frozen: true,
    });
  });

  it("validates clock input and guards with the admin token", async () => {
    for (const body of [{}, { now: "tomorrow" }, { advance_hours: -1 }]) {
      expect((await client(em).post("/_emulator/clock", body)).status).toBe(422);
    }
    expect((await client(em, "wrong").post("/_emulator/clock", { advance_hours: 1 })).status).toBe(401);
    expect((await client(em, null).post("/_emulator/reset", {})).status).toBe(401);
  });

  it("reset with an invalid seed is a 422 and changes nothing", async () => {
    await client(em).post("users", { email: "keep@example.com" });
    const res = await client(em).post("/_emulator/reset", {
      seed: { plans: [{ name: "x", tokens_per_hour: 1.5 }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/plans\.0\.tokens_per_hour/);
    expect((await client(em).get("users?filter[search]=keep")).body.meta.total).toBe(1);
  });

  it("health needs no token", async () => {
    expect((await client(em, null).get("/_emulator/health")).body).toEqual({ data: { status: "ok" } });
  });
});
