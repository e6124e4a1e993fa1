import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { createTestDatabase } from "../helpers/test-database.ts";
import { startTestServer, type TestServer } from "../helpers/test-server.ts";
import {
  type SharedCommandDataDir,
  sharedCommandDataDir,
  tokenbillCommand,
} from "../helpers/tokenbill-command.ts";

// `tokenbill solusio doctor` and `setup --apply` as an operator runs them, against a fresh emulator.
// Not a `.db.test.ts`: the commands always run on an embedded database (one this test holds and shares over
// its socket, as serve does, so that each command need not open it), so a second run in CI's PostgreSQL pass
// repeated the same child processes and tested nothing more; the binding's and setup's SQL run on both
// databases in solusio-binding and billing-integration-setup. It keeps the database project's 120 s
// timeouts: fifteen commands on two busy cores.

let emulator: RunningEmulator;
let handle: DatabaseHandle;
let tokenbill: TestServer;
let data: SharedCommandDataDir;
let env: NodeJS.ProcessEnv;

const cli = (...args: string[]) => tokenbillCommand(args, env);

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: false });
  // A tokenbill that answers GetTokenPricing where SolusIO will be told to call.
  handle = await createTestDatabase();
  tokenbill = await startTestServer(handle.db);
  data = await sharedCommandDataDir();
  env = {
    DATA_DIR: data.dir,
    SOLUSIO_URL: emulator.apiUrl,
    SOLUSIO_API_TOKEN: emulator.adminToken,
    TOKENBILL_PUBLIC_URL: tokenbill.url,
    // The 503s below are retried 5 times: at a 10 ms first wait rather than 200 ms, some 0.3 s, not 3–6 s.
    SOLUSIO_RETRY_BACKOFF_MS: "10",
  };
}, 120_000);
afterAll(async () => {
  await tokenbill?.close();
  await handle?.close();
  await emulator?.close();
  await data?.remove();
});

describe("tokenbill solusio", { timeout: 120_000 }, () => {
  it("doctor fails on a fresh SolusIO, setup shows a dry run then applies, and doctor then passes", async () => {
    // A dry run and a doctor change nothing: the two at once.
    const [before, dry] = await Promise.all([cli("solusio", "doctor"), cli("solusio", "setup")]);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/FAIL {2}registration off/);
    expect(before.stdout).toContain("fix: run `tokenbill solusio setup --apply`");

    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would change: registration");
    expect(dry.stdout).toContain("Run again with --apply");
    // A fresh SolusIO has no billing integration: said as "none", where it printed "now: undefined".
    expect(dry.stdout).toMatch(/would change: billing_integration .*\n {4}now: {4}none\n/);
    expect(dry.stdout).not.toContain("undefined");
    // Seed step 7 by hand too: the value setup writes for Custom billing is a guess (solusio-api.md §7).
    expect(dry.stdout).toContain("Settings > Billing Integration");
    expect(dry.stdout).toContain(`GetTokenPricing URL: ${tokenbill.url}/solusio/api`);
    // A dry run changed nothing. --json answers as GET /api/v1/solusio/doctor does: the checks under `data`, the
    // summary under `meta` (until 2026-12-07 it printed the bare array, without the summary).
    const still = await cli("solusio", "doctor", "--json");
    expect(still.code).toBe(1);
    const stillFailing = JSON.parse(still.stdout);
    expect(stillFailing.meta).toMatchObject({ ok: false, not_checked: [] });
    expect(stillFailing.meta.failing).toContain("registration off");
    expect(stillFailing.meta.failing).toEqual(
      stillFailing.data.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name),
    );

    const apply = await cli("solusio", "setup", "--apply", "--json");
    expect(apply.code).toBe(0);
    const applied = JSON.parse(apply.stdout);
    expect(applied.steps.find((s: { key: string }) => s.key === "billing_integration")).toHaveProperty(
      "current",
      null,
    );
    // A fresh SolusIO already gives new users its "Default" limit group (solusio-api.md §10): only the
    // group's limits change, not which group is the default.
    expect(applied.applied).toEqual(["registration", "billing_integration", "limit_group:Default"]);
    expect(applied.remaining).toEqual([]); // read back from SolusIO after applying
    expect(applied.manual_steps.join("\n")).toContain("Settings > Billing Integration");

    const [after, again] = await Promise.all([cli("solusio", "doctor", "--json"), cli("solusio", "setup")]);
    expect(after.code, after.stdout).toBe(0);
    const passed = JSON.parse(after.stdout);
    expect(passed.meta).toEqual({ ok: true, failing: [], not_checked: [] });
    expect(passed.data.length).toBeGreaterThan(0);
    expect(passed.data.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(again.stdout).toContain("nothing to do");
    expect(again.stdout).not.toContain("Billing Integration"); // SolusIO calls tokenbill: no steps to show
  });

  it("doctor --stored exits 7 before any reconciliation: nothing failed, billing user ids not checked", async () => {
    // After the test before's setup --apply, every check passes but this one, which nothing has made yet.
    const [stored, storedJson] = await Promise.all([
      cli("solusio", "doctor", "--stored"),
      cli("solusio", "doctor", "--stored", "--json"),
    ]);
    expect(stored.code, stored.stdout + stored.stderr).toBe(7);
    expect(stored.stdout).toMatch(/^skip {2}billing user ids: not checked yet: no reconciliation has read/m);
    expect(stored.stdout).toMatch(/ {6}fix: .*run `tokenbill solusio reconcile`/);
    expect(stored.stdout).not.toMatch(/^FAIL/m);
    expect(stored.stdout).toMatch(/\nnot checked: billing user ids\n$/);
    expect(storedJson.code).toBe(7);
    expect(JSON.parse(storedJson.stdout).meta).toEqual({
      ok: false,
      failing: [],
      not_checked: ["billing user ids"],
    });
  });

  it("bind ties the database to this SolusIO, refuses another one, and moves only with --force", async () => {
    const first = await cli("solusio", "bind", "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      kind: "solusio",
      identity: expect.stringMatching(/^first-user:1:/),
    });
    const other = await startEmulator({ port: 0, logger: false });
    const saved = { url: env["SOLUSIO_URL"], token: env["SOLUSIO_API_TOKEN"] };
    try {
      env["SOLUSIO_URL"] = other.apiUrl;
      env["SOLUSIO_API_TOKEN"] = other.adminToken;
      // Three refusals, none changing anything: at once.
      const [refused, doctor, billing] = await Promise.all([
        cli("solusio", "bind"),
        cli("solusio", "doctor"),
        cli("billing", "run", "--period", "2026-10"),
      ]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("this database belongs to SolusIO at");
      expect(doctor.stdout).toMatch(/FAIL {2}database binding/);
      expect(billing.code).toBe(4);
      expect(billing.stderr).toContain("refuse to work against another SolusIO");
      const moved = await cli("solusio", "bind", "--force", "--json");
      expect(moved.code, moved.stderr).toBe(0);
      expect(JSON.parse(moved.stdout).api_url).toBe(new URL(other.apiUrl).toString());
    } finally {
      env["SOLUSIO_URL"] = saved.url;
      env["SOLUSIO_API_TOKEN"] = saved.token;
      await other.close();
    }
    expect((await cli("solusio", "bind", "--force")).code).toBe(0);
  });

  it("setup and doctor refuse without TOKENBILL_PUBLIC_URL, rather than point SolusIO at their own HOST:PORT", async () => {
    // HOST and PORT say where tokenbill *would* listen; the command took them for serve's public address.
    const { TOKENBILL_PUBLIC_URL: _unset, ...withoutUrl } = env;
    const local = { ...withoutUrl, HOST: "127.0.0.1", PORT: "9" };
    const commands = ["setup", "doctor"];
    const [bind, ...answers] = await Promise.all([
      tokenbillCommand(["solusio", "bind"], local),
      ...commands.map((command) => tokenbillCommand(["solusio", command], local)),
    ]);
    for (const [i, command] of commands.entries()) {
      const r = answers[i]!;
      expect([r.code, r.stdout], command).toEqual([78, ""]);
      expect(r.stderr, command).toMatch(
        /^error: TOKENBILL_PUBLIC_URL is not set: setup and doctor need .*\n$/,
      );
      expect(r.stderr, command).not.toContain("127.0.0.1:9");
    }
    // What does not tell SolusIO where tokenbill is needs no address.
    expect(bind.code).toBe(0);
  });

  it("says a write SolusIO fails in one line, exit 6, as a failed read (not a stack trace and exit 1)", async () => {
    const faults = async (body: unknown) =>
      fetch(`${emulator.url}/_emulator/faults`, {
        method: body === undefined ? "DELETE" : "POST",
        headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // Registration on again, so that setup has a settings write to make.
    await fetch(`${emulator.apiUrl}/settings`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ features: { allow_registration: true } }),
    });
    await faults({ path: "/api/v1/settings", methods: ["PATCH"], error_rate: 1, error_status: 503 });
    try {
      // Each waits out the client's retries of the 503 (short here, SOLUSIO_RETRY_BACKOFF_MS): the two at once.
      const [r, json] = await Promise.all([
        cli("solusio", "setup", "--apply"),
        cli("solusio", "setup", "--apply", "--json"),
      ]);
      expect([r.code, r.stdout]).toEqual([6, ""]);
      expect(r.stderr).toMatch(
        /^error: SolusIO: PATCH settings: 503 .*\(setup step registration failed after 0 applied\): SolusIO is failing or busy, [^\n]*\n$/,
      );
      expect(json.code).toBe(6);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", exit_code: 6 });
    } finally {
      await faults(undefined);
    }
  });

  it("names SOLUSIO_API_TOKEN when SolusIO refuses it, exit 5 (unauthorized)", async () => {
    const saved = env["SOLUSIO_API_TOKEN"];
    env["SOLUSIO_API_TOKEN"] = "not-the-token";
    try {
      const [r, json] = await Promise.all([
        cli("solusio", "setup", "--apply"),
        cli("solusio", "setup", "--json"),
      ]);
      // Before: exit 6 with "error: SolusIO: GET settings: 401 Unauthenticated." alone.
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^error: SolusIO: GET settings: 401 .*SOLUSIO_API_TOKEN is not accepted/);
      expect(r.stderr.split("\n")).toHaveLength(2);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: "UNAUTHORIZED", exit_code: 5 });
    } finally {
      env["SOLUSIO_API_TOKEN"] = saved;
    }
  });

  it("explains a wrong token with a non-zero exit", async () => {
    const saved = env["SOLUSIO_API_TOKEN"];
    env["SOLUSIO_API_TOKEN"] = "not-the-token";
    const r = await cli("solusio", "doctor");
    env["SOLUSIO_API_TOKEN"] = saved;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL  connection");
    expect(r.stdout).toContain("SOLUSIO_API_TOKEN");
  });
});
