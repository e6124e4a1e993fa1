import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { parseEmulatorConfig } from "../main.ts";
import { startEmulator } from "../start.ts";
import { BASIC_SEED, client, setClock, startTestEmulator, updatePlanAsSdk } from "./helpers.ts";
import { WAIT_CEILING_MS } from "../../test/helpers/wait-until.ts";

const dir = mkdtempSync(join(tmpdir(), "solusio-emulator-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--state FILE", () => {
  it("keeps users, servers, tokens, settings, the clock and the admin token across a restart", async () => {
    const stateFile = join(dir, "state.json");
    const first = await startTestEmulator({ seed: BASIC_SEED, stateFile, adminToken: undefined });
    await client(first).post("servers", { name: "kept", plan: 1, location: 1, user: 5 });
    await client(first).patch("settings", { features: { allow_registration: false } });
    const token = (await client(first).post("users/5/tokens", {})).body.data.access_token;
    await setClock(first, { advance_hours: 30 });
    await client(first).del("servers/1");
    const adminToken = first.adminToken;
    await first.close();
    // Nothing half-written is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(JSON.parse(readFileSync(stateFile, "utf8")).format).toBe("tokenbill-solusio-emulator-state");

    const second = await startEmulator({ port: 0, logger: false, stateFile });
    try {
      expect(second.adminToken).toBe(adminToken);
      expect((await client(second).get("settings")).body.data.features.allow_registration).toBe(false);
      expect((await client(second, token).get("account")).body.data.email).toBe("alice@example.com");
      expect((await client(second).get("/_emulator/clock")).body.data.now).toBe(
        "2026-10-02T06:00:00.000000Z",
      );
      const usage = await client(second).get(
        "usage?period_start=2026-10-01T00:00:00Z&period_end=2026-11-01T00:00:00Z",
      );
      expect(usage.body.data[0]).toMatchObject({ server: { name: "kept" }, hours: 30, tokens: 210 });
      // New ids continue after the old ones.
      const next = await client(second).post("servers", { name: "new", plan: 1, location: 1, user: 5 });
      expect(next.body.data.id).toBe(2);
    } finally {
      await second.close();
    }
  });

  it("a one-time login consumed before a restart stays consumed", async () => {
    const stateFile = join(dir, "sso.json");
    const first = await startTestEmulator({ seed: BASIC_SEED, stateFile });
    const token = (await client(first).post("users/5/tokens", { is_one_time: true })).body.data.access_token;
    expect((await fetch(`${first.url}/auth/by_token/${token}`, { redirect: "manual" })).status).toBe(302);
    await first.close();
    const second = await startTestEmulator({ stateFile });
    try {
      expect((await fetch(`${second.url}/auth/by_token/${token}`, { redirect: "manual" })).status).toBe(401);
    } finally {
      await second.close();
    }
  });

  it("answers a features flag added after the state file was written at its fresh-install value", async () => {
    const stateFile = join(dir, "six-flags.json");
    const first = await startTestEmulator({ seed: BASIC_SEED, stateFile });
    await client(first).patch("settings", { features: { hide_plan_name: true } });
    await first.close();
    const file = JSON.parse(readFileSync(stateFile, "utf8"));
    delete file.state.settings.features.hide_api_documentation_link;
    writeFileSync(stateFile, JSON.stringify(file));
    const second = await startTestEmulator({ stateFile });
    try {
      expect((await client(second).get("settings")).body.data.features).toMatchObject({
        hide_plan_name: true,
        hide_api_documentation_link: false,
      });
    } finally {
      await second.close();
    }
  });

  it("loads a state file written before servers kept a history, and bills it as before", async () => {
    const stateFile = join(dir, "old.json");
    const first = await startTestEmulator({ seed: BASIC_SEED, stateFile });
    await client(first).post("servers", {
      name: "old",
      plan: 1,
      location: 1,
      user: 5,
      additional_ip_count: 1,
    });
    await first.close();
    // Make it what an older emulator wrote: no history, no activity log, plan fields and RAM in MiB of the time.
    const file = JSON.parse(readFileSync(stateFile, "utf8"));
    const st = file.state;
    delete st.activityLogs;
    delete st.planPrices;
    delete st.counters.activityLog;
    st.settings = { allowRegistration: false, limitGroupId: null, billingIntegration: null };
    for (const plan of st.plans) {
      for (const key of [
        "backupPrice",
        "isBackupAvailable",
        "isoImageTokensPerHour",
        "isoImageTokensPerMonth",
      ])
        delete plan[key];
      delete plan.limits;
      delete plan.virtualizationType;
      plan.params.ram = 1024;
    }
    for (const p of st.projects) {
      delete p.description;
      delete p.isDefault;
      delete p.createdAt;
    }
    const [server] = st.servers;
    server.additionalIpCount = 1;
    delete server.planHistory;
    delete server.backupHistory;
    delete server.backupsEnabled;
    delete server.plan.backupPrice;
    server.plan.params.ram = 1024;
    for (const ip of server.ips) {
      delete ip.attachedAt;
      delete ip.detachedAt;
    }
    writeFileSync(stateFile, JSON.stringify(file));

    const second = await startTestEmulator({ stateFile });
    try {
      const got = (await client(second).get("servers/1")).body.data;
      expect(got).toMatchObject({ specifications: { ram: 1073741824 }, backup_settings: { enabled: false } });
      expect(got.ips).toHaveLength(2);
      expect((await client(second).get("settings")).body.data.features.allow_registration).toBe(false);
      expect((await client(second).get("projects/2")).body.data).toMatchObject({ is_default: true });
      await setClock(second, { advance_hours: 10 });
      // Plan 4 has no additional IPs: the migrated IP is detached first, then the server resized.
      expect((await client(second).request("DELETE", "servers/1/ips", { ids: [2] })).status).toBe(200);
      expect((await client(second).post("servers/1/resize", { plan_id: 4 })).status).toBe(200);
      // A file from before plans kept a price history: the prices it has hold from the plan's creation on, and
      // a re-price splits the hours from its instant (28 an hour for 2 h, then 30 for 3 h).
      await setClock(second, { advance_hours: 2 });
      expect((await updatePlanAsSdk(second, 4, { tokens_per_hour: 30 })).status).toBe(200);
      await setClock(second, { advance_hours: 3 });
      const usage = await client(second).get(
        "usage?period_start=2026-10-01T00:00:00Z&period_end=2026-11-01T00:00:00Z",
      );
      expect(
        usage.body.data.map((i: { hours: number; tokens: number; additional_ips: { tokens: number } }) => [
          i.hours,
          i.tokens,
          i.additional_ips.tokens,
        ]),
      ).toEqual([
        [10, 70, 10],
        [2, 56, 0],
        [3, 90, 0],
      ]);
    } finally {
      await second.close();
    }
  });

  it("refuses a state file that is not one, with a clear message", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ nope");
    await expect(startTestEmulator({ stateFile: bad })).rejects.toThrow(/not valid JSON/);
    writeFileSync(bad, "{}");
    await expect(startTestEmulator({ stateFile: bad })).rejects.toThrow(/not an emulator state file/);
  });
});

describe("configuration", () => {
  it("reads flags over environment variables, with the documented defaults", () => {
    expect(parseEmulatorConfig([], {})).toMatchObject({ host: "127.0.0.1", port: 8090 });
    const env = {
      EMULATOR_HOST: "0.0.0.0",
      EMULATOR_PORT: "9000",
      EMULATOR_ADMIN_TOKEN: "secret-token",
      EMULATOR_SEED: "a.json",
    };
    expect(parseEmulatorConfig([], env)).toMatchObject({
      host: "0.0.0.0",
      port: 9000,
      adminToken: "secret-token",
      seed: "a.json",
    });
    expect(parseEmulatorConfig(["--port", "0", "--seed", "b.json", "--state", "s.json"], env)).toMatchObject({
      port: 0,
      seed: "b.json",
      state: "s.json",
    });
    expect(parseEmulatorConfig(["--help"], {})).toBe("help");
  });

  it("explains bad configuration", () => {
    expect(() => parseEmulatorConfig(["--port", "http"], {})).toThrow(/port/);
    for (const port of ["0x10", "1e3", "65536", "-1", " 80"]) {
      expect(() => parseEmulatorConfig([`--port=${port}`], {})).toThrow(
        /port: must be a whole number from 0 to 65535/,
      );
    }
    expect(() => parseEmulatorConfig(["--bogus"], {})).toThrow(/Unknown option/);
    // The usage names the command run: npm's, or the one `tokenbill emulator` passes.
    expect(() => parseEmulatorConfig(["--bogus"], {})).toThrow(
      /\n\nUsage: npm run emulator -- \[options\]\n/,
    );
    expect(() => parseEmulatorConfig(["--bogus"], {}, "tokenbill emulator")).toThrow(
      /\n\nUsage: tokenbill emulator \[options\]\n/,
    );
    expect(() => parseEmulatorConfig([], { EMULATOR_ADMIN_TOKEN: "short" })).toThrow(/at least 8/);
  });

  it("reports every problem of a seed file at once: first its shape, then its references", async () => {
    const seed = join(dir, "bad-seed.json");
    writeFileSync(
      seed,
      JSON.stringify({ plans: [{ name: "p", tokens_per_hour: 7.5 }], users: [{ email: "x" }] }),
    );
    await expect(startTestEmulator({ seed })).rejects.toThrow(
      /plans\.0\.tokens_per_hour[\s\S]*users\.0\.email/,
    );
    writeFileSync(
      seed,
      JSON.stringify({ servers: [{ name: "s", user: "ghost@example.com", plan: "nope", location: 7 }] }),
    );
    await expect(startTestEmulator({ seed })).rejects.toThrow(
      /no user "ghost@example\.com"[\s\S]*no plan "nope"[\s\S]*no location 7/,
    );
    await expect(startTestEmulator({ seed: join(dir, "missing.json") })).rejects.toThrow(
      /Cannot read the seed file/,
    );
  });
});

describe("npm run emulator", () => {
  it("starts the program, prints the URL and a generated admin token, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "emulator/main.ts", "--port", "0"], {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...process.env, EMULATOR_ADMIN_TOKEN: "", EMULATOR_SEED: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const banner = await new Promise<string>((resolve, reject) => {
      // The wait's ceiling, not 20 s: tsx compiling the emulator took 2.3–3.4 s at a load of 10 (2026-12-07),
      // and a loaded CI run takes several times that.
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), WAIT_CEILING_MS);
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("user area:")) {
          clearTimeout(timer);
          resolve(out);
        }
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const url = /SolusIO emulator on (http:\/\/\S+)/.exec(banner)?.[1];
    const token = /admin token: ([0-9a-f]{40})/.exec(banner)?.[1];
    expect(url).toBeDefined();
    expect(token).toBeDefined();
    const res = await fetch(`${url}/api/v1/account`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});

describe("the start's log line", () => {
  // It said `persisted: false` for a --state file that did not exist yet, though every change was then
  // written to it: an operator read that the state was not being kept.
  it("names the state file and whether the state was read from it", async () => {
    const stateFile = join(dir, "logged-state.json");
    const startLines = async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = pino({}, { write: (line: string) => lines.push(JSON.parse(line)) });
      const em = await startEmulator({ port: 0, logger, stateFile, seed: BASIC_SEED });
      await em.close();
      return lines.find((l) => l["msg"] === "SolusIO emulator listening");
    };
    expect(await startLines()).toMatchObject({ stateFile, stateLoaded: false });
    expect(await startLines()).toMatchObject({ stateFile, stateLoaded: true });
    expect(await startLines()).not.toHaveProperty("persisted");
  });
});
