// The emulator's "now". Server lifetimes, created_at stamps, usage and token expiry all read this clock, so a
// test can run a whole billing month in milliseconds (solusio-api.md §10). Two modes:
// - real: the system clock plus an offset (what `npm run emulator` starts with);
// - frozen: a fixed instant that moves only when told to (what tests want: deterministic hours).

export type ClockSnapshot = { mode: "real"; offsetMs: number } | { mode: "frozen"; nowMs: number };

const HOUR_MS = 3_600_000;

export class EmulatorClock {
  #snapshot: ClockSnapshot;
  readonly #systemNow: () => number;

  constructor(initial?: Date, systemNow: () => number = Date.now) {
    this.#systemNow = systemNow;
    this.#snapshot = initial ? { mode: "frozen", nowMs: initial.getTime() } : { mode: "real", offsetMs: 0 };
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    const s = this.#snapshot;
    return s.mode === "frozen" ? s.nowMs : this.#systemNow() + s.offsetMs;
  }

  get frozen(): boolean {
    return this.#snapshot.mode === "frozen";
  }

  /** Jump to an instant. It stays there (frozen) unless `frozen` is false, then it ticks on from it. */
  set(at: Date, frozen = true): void {
    this.#snapshot = frozen
      ? { mode: "frozen", nowMs: at.getTime() }
      : { mode: "real", offsetMs: at.getTime() - this.#systemNow() };
  }

  advance(ms: number): void {
    const s = this.#snapshot;
    this.#snapshot =
      s.mode === "frozen"
        ? { mode: "frozen", nowMs: s.nowMs + ms }
        : { mode: "real", offsetMs: s.offsetMs + ms };
  }

  advanceHours(hours: number): void {
    this.advance(hours * HOUR_MS);
  }

  /** Let the clock tick with the system clock again, from where it is now (no jump back). */
  unfreeze(): void {
    this.set(this.now(), false);
  }

  snapshot(): ClockSnapshot {
    return { ...this.#snapshot };
  }

  restore(snapshot: ClockSnapshot): void {
    this.#snapshot = { ...snapshot };
  }
}
