import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";

/**
 * An emulator whose every API call takes `latencyMs` longer (its fault injection, docs/emulator.md): a real
 * SolusIO answers in tens of milliseconds, the emulator in microseconds.
 */
export async function emulatorWithLatency(latencyMs: number): Promise<RunningEmulator> {
  const emulator = await startEmulator({ port: 0, logger: false });
  if (latencyMs > 0) {
    const r = await fetch(`${emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ path: "/api/v1/*", latency_ms: latencyMs }),
    });
    if (!r.ok) throw new Error(`setting the emulator's latency answered ${r.status}: ${await r.text()}`);
  }
  return emulator;
}

/** The database the bench runs on: in-memory PGlite, or a throw-away schema on DATABASE_URL. */
export function databaseName(): string {
  return process.env["DATABASE_URL"] ? "PostgreSQL" : "PGlite";
}
