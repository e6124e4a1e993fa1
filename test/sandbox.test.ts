import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitBudget } from "./helpers/wait-until.ts";

// The README's start command with nothing configured: tokenbill plus the in-process SolusIO emulator,
// set up and seeded, every step of the integration working end to end.

const children: ChildProcess[] = [];
/** Working directories, each with a ./data database (about 40 MB): removed once the processes are gone. */
const dirs: string[] = [];
/**
 * The journey's waits share one ceiling, generous, as only a wait never met comes near it: on CI's loaded two
 * cores (17–25 runnable) the journey outlived the 120 s it had, at whichever wait it had reached.
 */
const BUDGET_MS = 420_000;
afterAll(async () => {
  // Wait for the server to finish shutting down, so no process outlives the test run.
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null) return resolve(undefined);
          c.once("exit", resolve);
          c.kill("SIGTERM");
        }),
    ),
  );
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  // A loaded machine stops serve slowly too (the pricing index, the runner, PGlite's close).
}, 120_000);

describe("sandbox mode", () => {
  it(
    "starts the emulator, applies setup, syncs the demo customers, prices them and logs them in",
    async () => {
      const left = waitBudget(BUDGET_MS);
      const cwd = mkdtempSync(join(tmpdir(), "tb-sandbox-"));
      dirs.push(cwd);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: "0",
        SANDBOX_EMULATOR_PORT: "0",
        DATABASE_URL: "",
        DATA_DIR: "./data",
      };
      for (const key of ["SOLUSIO_URL", "SOLUSIO_API_TOKEN", "TOKENBILL_ADMIN_API_KEY", "TOKENBILL_SANDBOX"])
        delete env[key];
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, "..", "bin", "tokenbill.mjs"), "serve"],
        { cwd, env, stdio: ["ignore", "pipe", "pipe"] },
      );
      children.push(child);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      await expect
        // The banner (stderr) and the log lines (stdout) are two pipes: wait for both, in any order.
        .poll(
          () => stderr.includes("SANDBOX MODE") && stdout.includes("SANDBOX MODE: SolusIO is the built-in"),
          { timeout: left(), interval: 100 },
        )
        .toBe(true);
      expect(stdout).toMatch(/tokenbill is listening/);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)","pricing"/.exec(stdout)![1]!;
      const emulatorUrl = /SolusIO emulator API {2}(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(stderr)![1]!;
      const key = readFileSync(join(cwd, "data", "admin-api-key"), "utf8").trim();
      expect(stdout).not.toContain(key);
      expect(stderr).not.toContain(key);
      const api = async (method: string, path: string, body?: unknown) =>
        (
          await fetch(url + path, {
            method,
            headers: {
              authorization: `Bearer ${key}`,
              ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          })
        ).json();

      await expect
        .poll(
          async () =>
            (await api("GET", "/api/v1/customers")).data.map(
              (c: { sync: { state: string } }) => c.sync.state,
            ),
          { timeout: left(), interval: 200 },
        )
        .toEqual(["in_sync", "in_sync", "in_sync"]);

      const pricing = await (
        await fetch(`${url}/solusio/api`, {
          method: "POST",
          body: new URLSearchParams({ action: "GetTokenPricing", userid: "1" }),
        })
      ).json();
      expect(pricing.user_token_unit_cost).toBe(0.00102714);

      const sso = await api("POST", "/api/v1/customers/1/sso");
      expect(sso.data.url.startsWith(`${emulatorUrl}/auth/by_token/`)).toBe(true);
      const login = await fetch(sso.data.url, { redirect: "manual" });
      const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
      const page = await fetch(new URL(login.headers.get("location")!, emulatorUrl), { headers: { cookie } });
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain("ada@example.com");
      expect(html).toContain("$5.14"); // 5000 tokens × 0.00102714 on the seed's 1 Core, 1 GB RAM plan

      // The README's "Bill a month against the sandbox", step by step: a server for Ada from 1 October, the
      // clock past the month's end, the run. Until 2026-12-06 its invoice came to 0 tokens, $0.00: the sandbox's
      // plans were priced by setup after they were made, and the emulator priced the hours before that at 0.
      const emulatorToken = JSON.parse(readFileSync(join(cwd, "data", "sandbox.json"), "utf8")).adminToken;
      const emulator = async (path: string, body: unknown) => {
        const r = await fetch(`${emulatorUrl}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${emulatorToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(r.status, await r.clone().text()).toBeLessThan(300);
      };
      await emulator("/_emulator/clock", { now: "2026-10-01T00:00:00Z" });
      await emulator("/api/v1/servers", {
        name: "web-1",
        plan: 1,
        location: 1,
        user: 2,
        os: 1,
        password: "pw-123456",
      });
      await emulator("/_emulator/clock", { now: "2026-11-02T00:00:00Z" });
      const run = await api("POST", "/api/v1/billing-runs", { period: "2026-10" });
      expect(run.data).toMatchObject({ period: "2026-10" });
      await expect
        .poll(
          async () => (await api("GET", "/api/v1/invoices")).data.map((i: { number: string }) => i.number),
          { timeout: left(), interval: 200 },
        )
        .toEqual(["INV-2026-000001"]);
      const [invoice] = (await api("GET", "/api/v1/invoices")).data;
      expect([invoice.tokens, invoice.total, invoice.customer_id]).toEqual([5000, 514, 1]);
    },
    BUDGET_MS + 30_000,
  );
});
