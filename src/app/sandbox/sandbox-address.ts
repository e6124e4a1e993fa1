import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import { writePrivateFile } from "../../db/data-dir-lock.ts";

// sandbox.json: where the emulator of the sandbox `serve` runs answers, for the commands in other processes
// (solusio setup and doctor, dunning as of a future instant). Apart from start-sandbox.ts, which imports the
// emulator and with it Fastify and pino: a command that reads the address must not load them for its --help.

function sandboxFile(config: Config): string {
  return join(config.DATA_DIR, "sandbox.json");
}

/** What `serve` leaves in sandbox.json for the commands: where its emulator and it itself answer. */
export interface SandboxAddress {
  /** The emulator's address. */
  url: string;
  adminToken: string;
  /** The address serve gave the emulator for GetTokenPricing (TOKENBILL_PUBLIC_URL, or where it listens). */
  tokenbillUrl?: string | undefined;
}

/** Writes sandbox.json (private to the owner, as everything in DATA_DIR), warning when it cannot be. */
export function writeSandboxAddress(config: Config, address: SandboxAddress, logger: Logger): void {
  writePrivateFile(sandboxFile(config), JSON.stringify(address), (message, details) =>
    logger.warn(details, message),
  );
}

/**
 * Adds the address serve listens on (its TOKENBILL_PUBLIC_URL when set) to sandbox.json, once it is known:
 * `solusio setup` and `doctor` in another process must point SolusIO at this serve, not at their own
 * HOST/PORT (a PORT=0 serve is on a port only it knows).
 */
export function recordSandboxTokenbillUrl(config: Config, tokenbillUrl: string, logger: Logger): void {
  const address = readSandboxAddress(config);
  if (config.DATA_DIR === "memory://" || !address) return;
  writeSandboxAddress(config, { ...address, tokenbillUrl }, logger);
}

/** The running sandbox's address and admin token, as `tokenbill serve` left them; undefined if none ran. */
export function readSandboxAddress(config: Config): SandboxAddress | undefined {
  try {
    const parsed = JSON.parse(readFileSync(sandboxFile(config), "utf8")) as {
      url?: unknown;
      adminToken?: unknown;
      tokenbillUrl?: unknown;
    };
    if (typeof parsed.url === "string" && typeof parsed.adminToken === "string") {
      const tokenbillUrl = typeof parsed.tokenbillUrl === "string" ? parsed.tokenbillUrl : undefined;
      return { url: parsed.url, adminToken: parsed.adminToken, tokenbillUrl };
    }
  } catch {
    // no sandbox has run with this data directory
  }
  return undefined;
}
