import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { ClockSnapshot } from "../clock.ts";
import { migrateState } from "./migrate.ts";
import type { EmulatorState } from "./types.ts";

// The --state file: the whole state as JSON, rewritten after every change. Written to a temporary file and
// renamed over the old one, so a crash mid-write leaves the previous state intact, never half a file.
// The state holds the admin token and users' API tokens: the file is readable by its owner only (0600).

const FORMAT = "tokenbill-solusio-emulator-state";
const VERSION = 1;

export interface PersistedState {
  format: typeof FORMAT;
  version: typeof VERSION;
  savedAt: string;
  /** Kept so that a generated admin token survives a restart with the same state file. */
  adminToken: string;
  clock: ClockSnapshot;
  state: EmulatorState;
}

export function loadStateFile(path: string): PersistedState | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(
      `The state file ${path} is not valid JSON (${(e as Error).message}); move it away to start afresh.`,
    );
  }
  const file = parsed as Partial<PersistedState> | null;
  if (!file || file.format !== FORMAT || file.version !== VERSION || !file.state || !file.clock) {
    throw new Error(
      `The state file ${path} is not an emulator state file of version ${VERSION}; move it away to start afresh.`,
    );
  }
  const persisted = file as PersistedState;
  // Older files of this version lack the servers' history and newer plan fields: filled in on load.
  migrateState(persisted.state);
  return persisted;
}

export function saveStateFile(path: string, data: Omit<PersistedState, "format" | "version">): void {
  const body = JSON.stringify({ format: FORMAT, version: VERSION, ...data }, null, 1);
  const tmp = `${path}.${process.pid}.tmp`;
  // `mode` applies only to a file being created: a leftover temporary file would keep its own bits.
  rmSync(tmp, { force: true });
  writeFileSync(tmp, body, { mode: 0o600 });
  renameSync(tmp, path);
}
