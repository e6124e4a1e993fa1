import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { readBinding } from "../../solusio/solusio-binding.ts";

// Whether `serve` starts the in-process SolusIO emulator. TOKENBILL_SANDBOX=auto starts it
// only on an embedded database that is new or was created in sandbox mode: never on DATABASE_URL, and never
// on a database that belongs to a real SolusIO, where it would bill a month against an empty emulator.

export interface SandboxDecision {
  start: boolean;
  /** Said in the log when the sandbox does not start. */
  reason: string;
}

const NOT_CONFIGURED =
  "SolusIO is not configured (SOLUSIO_URL, SOLUSIO_API_TOKEN): user sync, billing runs and the billing " +
  "scheduler are off until it is";

export async function decideSandbox(config: Config, handle: DatabaseHandle): Promise<SandboxDecision> {
  if (config.TOKENBILL_SANDBOX === "on") return { start: true, reason: "TOKENBILL_SANDBOX=on" };
  if (config.TOKENBILL_SANDBOX === "off")
    return { start: false, reason: `${NOT_CONFIGURED} (TOKENBILL_SANDBOX=off)` };
  if (config.SOLUSIO_URL) return { start: false, reason: "SolusIO is configured" };
  if (handle.kind !== "pglite")
    return {
      start: false,
      reason: `${NOT_CONFIGURED}; sandbox mode never starts on DATABASE_URL by itself (TOKENBILL_SANDBOX=on forces it)`,
    };
  const binding = await readBinding(handle.db);
  if (binding)
    return binding.kind === "sandbox"
      ? { start: true, reason: "this database was created in sandbox mode" }
      : { start: false, reason: `${NOT_CONFIGURED}; this database belongs to SolusIO at ${binding.api_url}` };
  if ((await isFresh(handle)) || ranSandboxBefore(config))
    return { start: true, reason: "a new embedded database with no SolusIO configured" };
  return {
    start: false,
    reason: `${NOT_CONFIGURED}; this database holds customers and was not created in sandbox mode`,
  };
}

async function isFresh(handle: DatabaseHandle): Promise<boolean> {
  const customer = await handle.db.selectFrom("customer").select("id").limit(1).executeTakeFirst();
  const invoice = await handle.db.selectFrom("invoice").select("id").limit(1).executeTakeFirst();
  return !customer && !invoice;
}

/** A data directory from before bindings existed, where the sandbox already ran (it left its address). */
function ranSandboxBefore(config: Config): boolean {
  return config.DATA_DIR !== "memory://" && existsSync(join(config.DATA_DIR, "sandbox.json"));
}
