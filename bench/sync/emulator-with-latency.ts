import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { startEmulator } from "../../emulator/start.ts";

/** The SolusIO a sync benchmark delivers to, wherever it runs. */
export interface BenchSolusio {
  apiUrl: string;
  adminToken: string;
  /** Users that billing created (they carry a billing_user_id) and that are not deleted. */
  delivered(): Promise<number>;
  close(): Promise<void>;
}

async function addLatency(url: string, adminToken: string, latencyMs: number): Promise<void> {
  if (latencyMs <= 0) return;
  const r = await fetch(`${url}/_emulator/faults`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ path: "/api/v1/*", latency_ms: latencyMs }),
  });
  if (!r.ok) throw new Error(`setting the emulator's latency answered ${r.status}: ${await r.text()}`);
}

/**
 * The emulator in this process, with `latencyMs` added to every API call (its fault injection,
 * docs/emulator.md): a real SolusIO answers in tens of milliseconds, the emulator in microseconds. Its state
 * can be watched without a request (the pickup latency needs that).
 */
export async function emulatorWithLatency(latencyMs: number) {
  const emulator = await startEmulator({ port: 0, logger: false });
  await addLatency(emulator.url, emulator.adminToken, latencyMs);
  return emulator;
}

/**
 * The emulator as a process of its own (`npm run emulator`'s entry), as SolusIO is a server of its own: its
 * work then does not share the benchmarked process's thread. Used for the rates, by the baseline and by
 * tokenbill alike.
 */
export async function emulatorProcess(latencyMs: number): Promise<BenchSolusio> {
  const adminToken = randomBytes(16).toString("hex");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "../../emulator/main.ts")],
    {
      env: { ...process.env, EMULATOR_PORT: "0", EMULATOR_ADMIN_TOKEN: adminToken },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await listeningUrl(child);
  await addLatency(url, adminToken, latencyMs);
  const apiUrl = `${url}/api/v1`;
  const countUsers = async (): Promise<number> => {
    const r = await fetch(`${apiUrl}/users?per_page=1`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (!r.ok) throw new Error(`GET users answered ${r.status}`);
    return ((await r.json()) as { meta: { total: number } }).meta.total;
  };
  // The fresh emulator's own users (its admin) are not billing's.
  const own = await countUsers();
  return {
    apiUrl,
    adminToken,
    delivered: async () => (await countUsers()) - own,
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * The URL the emulator prints once it listens. Its output is read only until then: the emulator logs every
 * request, and searching all of it again for every chunk cost this process (tokenbill's, in the rates) a
 * twentieth of its CPU by the end of a run. The rest of the output is drained unread, so the emulator never
 * blocks on a full pipe.
 */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const stdout = child.stdout!;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /SolusIO emulator on (http:\/\/\S+)/.exec(out);
      if (!match) return;
      stdout.off("data", onData);
      stdout.resume();
      resolve(match[1]!);
    };
    stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the emulator exited with ${code}: ${out}`)));
  });
}

/** The database the bench runs on: in-memory PGlite, or a throw-away schema on DATABASE_URL. */
export function databaseName(): string {
  return process.env["DATABASE_URL"] ? "PostgreSQL" : "PGlite";
}
