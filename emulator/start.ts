import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import { EmulatorClock } from "./clock.ts";
import { buildEmulatorApp } from "./http/app.ts";
import { randomToken } from "./ops/tokens.ts";
import { allRoutes } from "./routes/index.ts";
import { Emulator } from "./runtime.ts";
import { buildInitialState } from "./state/fresh-install.ts";
import { loadStateFile } from "./state/persist.ts";
import type { EmulatorSeed } from "./state/seed-schema.ts";
import type { EmulatorState } from "./state/types.ts";

export type { EmulatorSeed } from "./state/seed-schema.ts";

export interface StartEmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Generated when absent (or taken from the state file). */
  adminToken?: string;
  /** A seed object, or the path of a JSON seed file. */
  seed?: EmulatorSeed | string;
  /** Persist the state here, and start from it when it exists. */
  stateFile?: string;
  /** false: log nothing. */
  logger?: Logger | false;
  /** Start with the clock frozen at this instant (tests); otherwise it follows the system clock. */
  now?: Date;
  /** How long the user area waits for GetTokenPricing; default 2000 ms. */
  billingTimeoutMs?: number;
  /** Path of the usage endpoint under /api/v1; default "usage" (solusio-api.md §9 (a)). */
  usagePath?: string;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:8090 — also the user area, /auth/by_token/… and /_emulator/… */
  url: string;
  /** url + "/api/v1" */
  apiUrl: string;
  adminToken: string;
  close(): Promise<void>;
  /** Direct access for tests; replaced wholesale by a reset, so read it through this getter. */
  readonly state: EmulatorState;
  readonly emulator: Emulator;
}

/** A seed file that cannot be read or is not JSON: the operator's mistake, as a seed that is not valid. */
export class SeedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SeedFileError";
  }
}

export function readSeedFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new SeedFileError(`Cannot read the seed file ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SeedFileError(`The seed file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const log =
    opts.logger === false ? pino({ enabled: false }) : (opts.logger ?? pino({ name: "solusio-emulator" }));
  const seed = typeof opts.seed === "string" ? readSeedFile(opts.seed) : opts.seed;
  const initialClock = new EmulatorClock(opts.now).snapshot();
  const persisted = opts.stateFile ? loadStateFile(opts.stateFile) : undefined;

  const clock = new EmulatorClock();
  clock.restore(persisted?.clock ?? initialClock);
  const state = persisted?.state ?? buildInitialState(seed, clock.now());
  const adminToken = opts.adminToken ?? persisted?.adminToken ?? randomToken(20);
  const em = new Emulator(
    {
      adminToken,
      seed,
      stateFile: opts.stateFile,
      billingTimeoutMs: opts.billingTimeoutMs ?? 2000,
      usagePath: opts.usagePath ?? "usage",
      initialClock,
    },
    state,
    clock,
    log,
  );
  em.persist();

  const app = await buildEmulatorApp(em, allRoutes(em.config.usagePath));
  try {
    await app.listen({ port: opts.port ?? 8090, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  // stateLoaded: whether this start read its state from the file (false for a new one, written from now on).
  log.info(
    { url, stateFile: opts.stateFile ?? null, stateLoaded: Boolean(persisted) },
    "SolusIO emulator listening",
  );

  let closed = false;
  return {
    url,
    apiUrl: `${url}/api/v1`,
    adminToken,
    get state() {
      return em.state;
    },
    emulator: em,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      em.persist();
    },
  };
}
