import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import type { SolusioCall } from "./call-log.ts";
import { SolusioApi } from "./solusio-api.ts";
import { SolusioClient } from "./solusio-client.ts";
import { SolusioError } from "./solusio-error.ts";
import { type LostAnswerProxy, startLostAnswerProxy } from "./testing/lost-answer-proxy.ts";

// solusio-api.md §1: a write that timed out or got a 5xx may have been done. Before a create is repeated the
// object is looked up, and a 422 "taken" after such an attempt is success when the object found is ours.
// The emulator does the work for real and then answers 502 (its `fail_after_rate` fault); answers it cannot
// lose that way (a dropped connection or a timeout after the work, a search that misses the new user) come
// from a proxy in front of it.

let emulator: RunningEmulator;
let proxy: LostAnswerProxy;
let client: SolusioClient; // straight to the emulator
let api: SolusioApi;
let proxied: SolusioClient; // through the proxy
let viaProxy: SolusioApi;
let calls: SolusioCall[] = [];

// Only the stalled answer may time out: every other call must be answered, however loaded the machine (a
// 300 ms limit for all of them timed a look-up out under load, and the trail had a call too many). The stall
// outlasts any timeout, so the stalled call's timeout always fires first.
const ANSWERED_WITHIN_MS = 20_000;
const STALLED_CALL_TIMEOUT_MS = 2_000;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: false });
  proxy = await startLostAnswerProxy(emulator.url, 10 * ANSWERED_WITHIN_MS);
  const options = {
    token: emulator.adminToken,
    maxRetries: 3,
    backoffBaseMs: 1,
    backoffCapMs: 5,
    timeoutMs: ANSWERED_WITHIN_MS,
    recorder: (c: SolusioCall) => calls.push(c),
  };
  client = new SolusioClient({ ...options, baseUrl: emulator.apiUrl });
  api = new SolusioApi(client);
  proxied = new SolusioClient({ ...options, baseUrl: proxy.apiUrl });
  viaProxy = new SolusioApi(proxied);
});
afterAll(async () => {
  await client?.close();
  await proxied?.close();
  await proxy?.close();
  await emulator?.close();
});
beforeEach(async () => {
  calls = [];
  proxy.setRules([]);
  await faults([]);
});

async function emu(method: string, path: string, body?: unknown) {
  const r = await fetch(emulator.url + path, {
    method,
    headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

async function faults(rules: unknown[]) {
  const r = await emu("POST", "/_emulator/faults", { rules });
  expect(r.status).toBe(200);
}

/** Work, then 502, on the next `times` POSTs to `path` (the emulator's fault). */
const failAfter = (path: string, times = 1) => ({
  path,
  methods: ["POST"],
  fail_after_rate: 1,
  after_status: 502,
  times,
});

/** Every emulator user whose e-mail is exactly `email` (straight to the emulator, all pages). */
async function usersWithEmail(email: string) {
  const r = await emu("GET", `/api/v1/users?per_page=100&filter[search]=${encodeURIComponent(email)}`);
  expect(r.body.meta.last_page).toBe(1);
  return r.body.data.filter((u: { email: string }) => u.email === email);
}

const trail = () => calls.map((c) => `${c.method} ${c.path} ${c.status ?? "no answer"}`);
const postUsers = { method: "POST", path: "/api/v1/users", times: 1 } as const;

describe("POST users whose answer was lost", () => {
  it("after the emulator created the user and answered 502, finds it and does not post again", async () => {
    const email = "lost-502@example.com";
    await faults([failAfter("/api/v1/users")]);
    const user = await api.createUser({ email, status: "locked", billingUserId: 501 });
    expect(user).toMatchObject({ email, status: "locked", billing_user_id: 501 });
    const stored = await usersWithEmail(email);
    expect(stored.map((u: { id: number }) => u.id)).toEqual([user.id]);
    // The look-up (by exact e-mail) instead of a second POST.
    expect(trail()).toEqual(["POST users 502", "GET users 200"]);
  });

  for (const outcome of ["drop", "stall"] as const) {
    it(`after the work was done and the answer lost ("${outcome}"), finds the user`, async () => {
      const email = `lost-${outcome}@example.com`;
      proxy.setRules([{ ...postUsers, outcome }]);
      // The look-up after the stall shares its limit: long enough for a loaded machine to answer it.
      const timed = new SolusioApi(proxied.withOptions({ timeoutMs: STALLED_CALL_TIMEOUT_MS }));
      const user = await (outcome === "stall" ? timed : viaProxy).createUser({
        email,
        status: "locked",
        billingUserId: 502,
      });
      expect(proxy.taken()).toEqual([1]);
      expect(user).toMatchObject({ email, billing_user_id: 502 });
      expect((await usersWithEmail(email)).map((u: { id: number }) => u.id)).toEqual([user.id]);
      expect(trail()).toEqual(["POST users no answer", "GET users 200"]);
      if (outcome === "stall") expect(calls[0]!.error).toMatch(/timeout/i);
    });
  }

  it("a 422 after the repeat is success when the user found is ours (the look-up missed it)", async () => {
    const email = "lost-then-taken@example.com";
    proxy.setRules([
      { ...postUsers, outcome: "502" },
      { method: "GET", path: "/api/v1/users", outcome: "empty-list", times: 1 },
    ]);
    const user = await viaProxy.createUser({ email, status: "active", billingUserId: 503 });
    expect(user).toMatchObject({ email, billing_user_id: 503 });
    expect(trail()).toEqual(["POST users 502", "GET users 200", "POST users 422", "GET users 200"]);
    expect(await usersWithEmail(email)).toHaveLength(1);
  });

  it("a look-up that fails is repeated before the create is: still one user", async () => {
    const email = "lost-lookup-fails@example.com";
    // The look-up fails twice, so the create's loop must look again, not post again.
    await faults([
      failAfter("/api/v1/users"),
      { path: "/api/v1/users", methods: ["GET"], error_rate: 1, error_status: 503, times: 2 },
    ]);
    const user = await api.createUser({ email, status: "active", billingUserId: 504 });
    expect(user.billing_user_id).toBe(504);
    expect(trail()).toEqual(["POST users 502", "GET users 503", "GET users 503", "GET users 200"]);
    expect(await usersWithEmail(email)).toHaveLength(1);
  });

  it("a look-up inside the create's retries does not retry on its own: a handful of calls, not dozens", async () => {
    // Every users call fails: each of the create's attempts after the first is one look-up, no more.
    await faults([{ path: "/api/v1/users", error_rate: 1, error_status: 503 }]);
    const error = await api
      .createUser({ email: "lost-everything@example.com", status: "active", billingUserId: 507 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as SolusioError).retryable).toBe(true);
    expect((error as SolusioError).mayHaveBeenDone).toBe(true);
    expect(trail()).toEqual(["POST users 503", "GET users 503", "GET users 503", "GET users 503"]);
  });

  it("a 2xx whose body cannot be read (a proxy's page) counts as done: looked up, never posted again", async () => {
    const email = "lost-html-ok@example.com";
    proxy.setRules([{ ...postUsers, outcome: "html-200" }]);
    const user = await viaProxy.createUser({ email, status: "active", billingUserId: 508 });
    expect(proxy.taken()).toEqual([1]);
    expect(user).toMatchObject({ email, billing_user_id: 508 });
    expect(trail()).toEqual(["POST users 200", "GET users 200"]);
    expect(calls[0]!.error).toMatch(/unexpected answer/);
    expect(await usersWithEmail(email)).toHaveLength(1);
  });

  it("a user with the e-mail that belongs to another customer is not taken: the 422 reaches the caller", async () => {
    const email = "lost-foreign@example.com";
    const foreign = await emu("POST", "/api/v1/users", {
      email,
      password: "pw-123456",
      status: "active",
      billing_user_id: 999,
    });
    expect(foreign.status).toBe(201);
    // The emulator refuses the first POST (taken) but answers 502: for the client it may have been done.
    await faults([failAfter("/api/v1/users")]);
    const error = await api.createUser({ email, status: "locked", billingUserId: 505 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SolusioError);
    expect((error as SolusioError).status).toBe(422);
    expect((error as SolusioError).retryable).toBe(false);
    expect(trail()).toEqual(["POST users 502", "GET users 200", "POST users 422", "GET users 200"]);
    const [after] = await usersWithEmail(email);
    expect(after).toMatchObject({ id: foreign.body.data.id, billing_user_id: 999, status: "active" });
  });

  it("a plain 422 (no lost answer before it) is not looked up: the caller's adoption rule decides", async () => {
    const email = "plain-taken@example.com";
    await emu("POST", "/api/v1/users", { email, password: "pw-123456", billing_user_id: 506 });
    const error = await api.createUser({ email, status: "active", billingUserId: 506 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as SolusioError).status).toBe(422);
    expect(trail()).toEqual(["POST users 422"]);
  });
});

describe("POST limit_groups whose answer was lost", () => {
  it("finds the group by name instead of creating a second one", async () => {
    await faults([failAfter("/api/v1/limit_groups")]);
    const group = await api.createLimitGroup({ name: "Lost", vms: 3, running_vms: 2, additional_ips: -1 });
    expect(group).toMatchObject({ name: "Lost", vms: { limit: 3, is_enabled: true } });
    expect(trail()).toEqual(["POST limit_groups 502", "GET limit_groups 200"]);
    const all = await api.listLimitGroups();
    expect(all.filter((g) => g.name === "Lost").map((g) => g.id)).toEqual([group.id]);
  });
});
