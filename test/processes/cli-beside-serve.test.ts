import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { commandDataDir } from "../helpers/tokenbill-command.ts";

// Issue 13 item 5 on the embedded database: while `serve` runs on ./data, CLI commands work (through the
// socket serve shares in DATA_DIR), and what they write is what serve serves.

const run = promisify(execFile);
const bin = join(import.meta.dirname, "..", "..", "bin", "tokenbill.mjs");
const children: ChildProcess[] = [];
/** Working directories, each with a ./data database (about 40 MB): removed once the processes are gone. */
const dirs: string[] = [];

afterAll(async () => {
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
});

function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    SANDBOX_EMULATOR_PORT: "0",
    DATABASE_URL: "",
    DATA_DIR: "./data",
  };
  for (const key of ["SOLUSIO_URL", "SOLUSIO_API_TOKEN", "TOKENBILL_ADMIN_API_KEY", "TOKENBILL_SANDBOX"])
    delete env[key];
  return env;
}

describe("the CLI while serve runs on the embedded database", () => {
  it("reads and writes through serve's socket, and serve sees the writes", async () => {
    // ./data a copy of the run's migrated database: on an empty one serve ran initdb and every migration first,
    // about half of this test's time, which it is not about.
    const cwd = dirname((await commandDataDir()).dir);
    dirs.push(cwd);
    const env = environment();
    const serve = spawn(process.execPath, [bin, "serve"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(serve);
    let stdout = "";
    serve.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    serve.stderr!.resume();
    await expect
      .poll(() => stdout.includes("SANDBOX MODE: SolusIO is the built-in"), {
        timeout: 90_000,
        interval: 100,
      })
      .toBe(true);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)","pricing"/.exec(stdout)![1]!;
    // serve loads the GetTokenPricing index once its start is done, without waiting for a first request:
    // after the sandbox's seed, so it holds the three demo customers.
    const loaded = () =>
      stdout
        .split("\n")
        .filter((line) => line.includes('"pricing index loaded"'))
        .map((line) => JSON.parse(line).customers);
    await expect.poll(loaded, { interval: 50 }).toEqual([3]);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(existsSync(join(cwd, "data", ".s.PGSQL.5432"))).toBe(true);
    const adminKey = readFileSync(join(cwd, "data", "admin-api-key"), "utf8").trim();
    const tokenbill = (...args: string[]) => run(process.execPath, [bin, ...args], { cwd, env });

    // Three commands at once, beside serve's own work (sync jobs, the scheduler, the requests below).
    const [key, staff, listed] = await Promise.all([
      tokenbill("apikey", "create", "--name", "made by the CLI"),
      tokenbill(
        "staff",
        "create",
        "--email",
        "cli@example.com",
        "--role",
        "support",
        "--password",
        "a-long-password-1",
      ),
      tokenbill("staff", "list"),
      ...Array.from({ length: 10 }, () =>
        fetch(`${url}/api/v1/customers`, { headers: { authorization: `Bearer ${adminKey}` } }),
      ),
    ]);
    expect(listed.stdout).toContain("owner@sandbox.example.com");
    expect(staff.stdout).toMatch(/email: +cli@example\.com/);
    const cliKey = /key: +(\S+)/.exec(key.stdout)![1]!;

    // serve answers with what the CLI wrote: the new key is accepted, the new staff user is listed.
    const asCli = await fetch(`${url}/api/v1/customers`, { headers: { authorization: `Bearer ${cliKey}` } });
    expect(asCli.status).toBe(200);
    expect((await asCli.json()).data).toHaveLength(3);
    // Four processes, none depending on what another does: at once.
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const [again, dunning, doctor, second] = await Promise.all([
      tokenbill("staff", "list"),
      tokenbill("dunning", "run", "--as-of", future, "--json").catch((e) => e),
      tokenbill("solusio", "doctor", "--json").catch((e) => e),
      run(process.execPath, [bin, "serve"], { cwd, env }).catch((e) => e),
    ]);
    expect(again.stdout).toContain("cli@example.com");
    const keys = await (
      await fetch(`${url}/api/v1/api-keys`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json();
    expect(keys.data.map((k: { name: string }) => k.name)).toContain("made by the CLI");

    // Sandbox mode reaches the commands too: a dunning run as of a future instant, as serve's API takes it.
    // It was refused as "accepted only in sandbox mode": the command's context had no SolusIO at all.
    expect(dunning.stderr).toBe("");
    expect(JSON.parse(dunning.stdout)).toMatchObject({ as_of: future, steps_total: 0 });

    // Doctor calls GetTokenPricing where serve listens (sandbox.json says), not at this command's PORT=0.
    const pricing = JSON.parse(doctor.stdout).data.find(
      (c: { name: string }) => c.name === "GetTokenPricing",
    );
    expect(pricing).toMatchObject({ ok: true, detail: `tokenbill answers at ${url}/solusio/api` });

    // Housekeeping's pass over the late ledger rows, as a command: its statements on serve's session.
    const late = await tokenbill("database", "late-rows", "--json").catch((e) => e);
    expect(late.stderr).toBe("");
    expect(JSON.parse(late.stdout)).toMatchObject({ added: 0, read: expect.any(Number) });

    // A second serve on the same directory still refuses: it would be a second copy of the database.
    expect(second.code).toBe(4);
    expect(second.stderr).toContain("in use by another tokenbill process");
  }, 180_000);
});
