import type { Logger } from "pino";
import { type ClockSnapshot, EmulatorClock } from "./clock.ts";
import { FaultRegistry } from "./http/faults.ts";
import { buildInitialState } from "./state/fresh-install.ts";
import { saveStateFile } from "./state/persist.ts";
import type { EmulatorState } from "./state/types.ts";

export interface EmulatorConfig {
  adminToken: string;
  /** The seed (already read from its file) that a reset goes back to. */
  seed: unknown;
  stateFile: string | undefined;
  /** How long the user area waits for GetTokenPricing before it says prices are unavailable. */
  billingTimeoutMs: number;
  /** Path of the usage endpoint under /api/v1 (solusio-api.md §9 (a): [OURS], configurable). */
  usagePath: string;
  /** Where a reset puts the clock back to. */
  initialClock: ClockSnapshot;
}

/** One running emulator: its state, clock and faults, shared by every route. */
export class Emulator {
  state: EmulatorState;
  readonly clock: EmulatorClock;
  readonly faults = new FaultRegistry();
  readonly config: EmulatorConfig;
  readonly log: Logger;

  constructor(config: EmulatorConfig, state: EmulatorState, clock: EmulatorClock, log: Logger) {
    this.config = config;
    this.state = state;
    this.clock = clock;
    this.log = log;
  }

  now(): Date {
    return this.clock.now();
  }

  /** Back to the starting point: the seed's state (or a new seed's), the initial clock, no faults. */
  reset(seed?: unknown): void {
    const clock = new EmulatorClock();
    clock.restore(this.config.initialClock);
    // Built before anything changes: a bad seed leaves the running emulator as it was.
    const state = buildInitialState(seed ?? this.config.seed, clock.now());
    if (seed !== undefined) this.config.seed = seed;
    this.clock.restore(this.config.initialClock);
    this.state = state;
    this.faults.clear();
    this.persist();
  }

  persist(): void {
    if (!this.config.stateFile) return;
    try {
      saveStateFile(this.config.stateFile, {
        savedAt: new Date().toISOString(),
        adminToken: this.config.adminToken,
        clock: this.clock.snapshot(),
        state: this.state,
      });
    } catch (e) {
      // Losing persistence must not take the API down; say so loudly instead.
      this.log.error({ err: e, stateFile: this.config.stateFile }, "could not write the state file");
    }
  }
}
