import type { Config } from "../config.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

// DATA_DIR=memory:// is a database inside one process. `serve` is a process that lives on (a throw-away
// server for a demo or a test), but a one-shot command opened a private one, wrote to it and exited: a
// `staff create` or `payments record` "succeeded" and nothing was kept anywhere.

/** A command refused because the configured database would vanish with it: exit 78, like a bad setting. */
export class ThrowAwayDatabaseError extends UnfitConfigurationError {
  constructor() {
    super(
      "DATA_DIR is memory://, a database that lives only as long as one process: this command's work would " +
        "vanish when it exits. Set DATA_DIR to a directory, or DATABASE_URL (memory:// suits `tokenbill serve`).",
    );
  }
}

/** Whether the configured database is one this process alone would see, gone when it exits. */
export function isThrowAwayDatabase(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">): boolean {
  return !config.DATABASE_URL && config.DATA_DIR === "memory://";
}

/** Refuses a command that reads or writes the database when that database would be the command's own. */
export function refuseThrowAwayDatabase(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">): void {
  if (isThrowAwayDatabase(config)) throw new ThrowAwayDatabaseError();
}
