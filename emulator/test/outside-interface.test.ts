import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { type Client, client } from "./helpers.ts";
import { WAIT_CEILING_MS } from "../../test/helpers/wait-until.ts";

// The interface outside checks rely on (issue 10): the program as `npm run emulator` starts it, configured only by
// EMULATOR_PORT and EMULATOR_ADMIN_TOKEN, driven over HTTP alone (no seed, no in-process state): the clock API,
// resize, additional IPs, the backups switch, and a usage endpoint with one item per plan as billing-rules §2.2
// computes it.

const ADMIN_TOKEN = "outside-check-admin-token";
let child: ChildProcess | undefined;
let api: Client;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startProgram(port: number): Promise<void> {
  child = spawn(process.execPath, ["--import", "tsx", "emulator/main.ts"], {
    cwd: join(import.meta.dirname, "..", ".."),
    env: {
      ...process.env,
      EMULATOR_PORT: String(port),
      EMULATOR_ADMIN_TOKEN: ADMIN_TOKEN,
      EMULATOR_SEED: "",
      EMULATOR_STATE: "",
      EMULATOR_NOW: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const started = child;
  let out = "";
  await new Promise<void>((resolve, reject) => {
    // The wait's ceiling, not 20 s: tsx compiling the emulator took 2.3–3.4 s at a load of 10 (2026-12-07), and a
    // loaded CI run takes several times that. The hook keeps the project's 60 s (it had 30 s).
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), WAIT_CEILING_MS);
    started.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("user area:")) {
        clearTimeout(timer);
        resolve();
      }
    });
    started.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  expect(out).toContain(`http://127.0.0.1:${port}`);
  expect(out).toContain("(from EMULATOR_ADMIN_TOKEN)");
}

beforeAll(async () => {
  const port = await freePort();
  await startProgram(port);
  const url = `http://127.0.0.1:${port}`;
  api = client({ url, apiUrl: `${url}/api/v1`, adminToken: ADMIN_TOKEN } as RunningEmulator);
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child?.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
});

async function ok(reply: Promise<{ status: number; body: any; text: string }>, status = 200) {
  const r = await reply;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  return r.body;
}

describe("npm run emulator, as outside checks drive it", () => {
  it("resizes, attaches and detaches IPs, switches backups; usage has one item per plan as §2.2 computes it", async () => {
    const plan = (name: string, tph: number, tpm: number, ipTph: number, ipTpm: number) =>
      ok(
        api.post("plans", {
          name,
          tokens_per_hour: tph,
          tokens_per_month: tpm,
          ip_tokens_per_hour: ipTph,
          ip_tokens_per_month: ipTpm,
          is_additional_ips_available: true,
          is_backup_available: true,
          backup_price: 10,
          params: { disk: 20, ram: 1073741824, vcpu: 1 },
        }),
        201,
      );
    const small = (await plan("7/5000", 7, 5000, 1, 500)).data;
    const large = (await plan("14/10000", 14, 10000, 2, 1000)).data;
    const user = (
      await ok(api.post("users", { email: "outside@example.com", status: "active", billing_user_id: 9 }), 201)
    ).data;

    await ok(api.post("/_emulator/clock", { now: "2026-10-01T00:00:00Z" }));
    const server = (
      await ok(api.post("servers", { name: "web-1", plan: small.id, location: 1, user: user.id }), 201)
    ).data;
    await ok(api.post("/_emulator/clock", { advance_hours: 400 }));
    expect((await ok(api.post(`servers/${server.id}/resize`, { plan_id: large.id }))).data.action).toBe(
      "vm-resize",
    );
    await ok(api.post(`servers/${server.id}/ips`, { count: 1 }));
    await ok(api.patch(`servers/${server.id}`, { backup_settings: { enabled: true } }));
    const attached = (await ok(api.get(`servers/${server.id}`))).data;
    const extra = attached.ip_addresses.ipv4.find((ip: { is_primary: boolean }) => !ip.is_primary);
    expect(attached.ips.map((ip: { id: number }) => ip.id)).toContain(extra.id);

    await ok(api.post("/_emulator/clock", { advance_hours: 300 }));
    await ok(api.request("DELETE", `servers/${server.id}/ips`, { ids: [extra.id] }));
    await ok(api.patch(`servers/${server.id}`, { backup_settings: { enabled: false } }));
    await ok(api.post("/_emulator/clock", { now: "2026-11-01T00:00:00Z" }));

    const usage = await api.get("usage?period_start=2026-10-01T00:00:00Z&period_end=2026-11-01T00:00:00Z");
    expect(usage.status).toBe(200);
    // The Date header is the emulator's clock, not the machine's.
    expect(usage.headers.get("date")).toBe("Sun, 01 Nov 2026 00:00:00 GMT");
    const items = usage.body.data.map((i: any) => ({
      plan: i.plan.id,
      hours: i.hours,
      tokens: i.tokens,
      charge: i.charge,
      ips: [i.additional_ips.count, i.additional_ips.hours, i.additional_ips.tokens],
      backups: i.backups ? [i.backups.hours, i.backups.tokens] : null,
    }));
    expect(items).toEqual([
      // 00:00 … 399:00 on 7/5000.
      { plan: small.id, hours: 400, tokens: 2800, charge: "hourly", ips: [0, 0, 0], backups: null },
      // 344 h on 14/10000; the IP for 300 of them at 2/h; backups on for the same 300: 4816 × 10 % × 300/344.
      { plan: large.id, hours: 344, tokens: 4816, charge: "hourly", ips: [1, 300, 600], backups: [300, 420] },
    ]);

    const tasks = await ok(api.get(`tasks?filter%5Bcompute_resource_vm_id%5D=${server.id}`));
    expect(tasks.data.map((t: { action: string }) => t.action)).toEqual(
      expect.arrayContaining(["vm-create", "vm-resize", "vm-update-network"]),
    );
    const logs = await ok(api.get("activity_logs?filter%5Bevent%5D=additional_ip_deleted"));
    expect(logs.data).toHaveLength(1);
  });
});
