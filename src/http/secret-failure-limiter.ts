import { ServiceError } from "../kernel/errors.ts";
import { addressGroup } from "./address-group.ts";
import { ProtocolError } from "./errors.ts";

// Every endpoint that checks a secret (admin API keys, the GetTokenPricing token, signed SSO links) counts
// wrong secrets per client address and kind of secret (callers key by `kind:address`, so a SolusIO with a
// stale pricing token does not lock staff out of the admin API). Once an address has made `perMinute` wrong
// guesses in a minute it is refused with 429 for the rest of that minute, before its next guess is even
// checked (a right secret included: letting it through would tell a guesser which guess was right), so keys
// cannot be tried at speed. Right secrets are never counted: SolusIO may call GetTokenPricing thousands of
// times a minute. IPv6 addresses count by /64 (address-group.ts).
//
// What it holds is bounded: a minute after its first failure an address is forgotten, whether or not it
// comes back (swept at most once a second, by the next check or failure), and no more than `maxEntries`
// addresses are held; past that the oldest is forgotten first. Until 2026-12 a block was forgotten only when
// its address came back, so a scan from rotating addresses grew the map for good and kept `blocking` true.
// The counts live in this process: with several instances behind a balancer an address gets `perMinute`
// guesses per instance, which still bounds guessing to a crawl.

const WINDOW_MS = 60_000;
const SWEEP_EVERY_MS = 1_000;
/** About 100 bytes an address: some 10 MB at most. */
const MAX_ENTRIES = 100_000;

interface FailureWindow {
  failures: number;
  /** When this address's minute ends (ms, by the limiter's clock), and with it any block. */
  endsAt: number;
}

export class SecretFailureLimiter {
  /** key (`kind:address group`) → its failures this minute, oldest first. */
  private readonly windows = new Map<string, FailureWindow>();
  /** key → when its block ends: the keys refused now (a subset of `windows`). */
  private readonly blockedUntil = new Map<string, number>();
  private nextSweepAt = Number.POSITIVE_INFINITY;
  private readonly maxEntries: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: () => number = Date.now,
    options: { maxEntries?: number } = {},
  ) {
    this.maxEntries = options.maxEntries ?? MAX_ENTRIES;
  }

  /** Whether anyone is blocked now (at most a second after the last block ended). */
  get blocking(): boolean {
    if (this.blockedUntil.size === 0) return false;
    this.sweepIfDue();
    return this.blockedUntil.size > 0;
  }

  /** How many addresses it holds (counted or blocked). */
  get size(): number {
    return this.windows.size;
  }

  /** Throws 429 while `client` has used up its wrong guesses. */
  assertAllowed(client: string): void {
    // Nobody blocked, the common case by far: no lookup (the key is a string built for the request, which a
    // lookup would have to hash).
    if (this.blockedUntil.size === 0) return;
    this.sweepIfDue();
    const until = this.blockedUntil.get(keyOf(client));
    if (until === undefined) return;
    const ms = until - this.clock();
    if (ms <= 0) return;
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    throw new ProtocolError("RATE_LIMITED", `too many failed attempts; retry in ${seconds} s`, {
      "retry-after": String(seconds),
    });
  }

  async recordFailure(client: string): Promise<void> {
    const key = keyOf(client);
    const now = this.clock();
    this.sweepIfDue();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      this.forget(key);
      this.makeRoom();
      window = { failures: 0, endsAt: now + WINDOW_MS };
      this.windows.set(key, window);
      this.nextSweepAt = Math.min(this.nextSweepAt, window.endsAt);
    }
    window.failures++;
    if (window.failures >= this.perMinute) this.blockedUntil.set(key, window.endsAt);
  }

  /** Runs a secret check for `client`: refused while blocked, and a failure (UNAUTHORIZED/FORBIDDEN) counts. */
  async guard<T>(client: string, check: () => Promise<T> | T): Promise<T> {
    this.assertAllowed(client);
    try {
      return await check();
    } catch (error) {
      if (error instanceof ServiceError && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN"))
        await this.recordFailure(client);
      throw error;
    }
  }

  private forget(key: string): void {
    this.windows.delete(key);
    this.blockedUntil.delete(key);
  }

  /** At the cap, the oldest address (first in the map) goes first. */
  private makeRoom(): void {
    while (this.windows.size >= this.maxEntries) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) return;
      this.forget(oldest);
    }
  }

  /** Drops the minutes that have ended; at most once a second, so a scan does not sweep on every failure. */
  private sweepIfDue(): void {
    const now = this.clock();
    if (now < this.nextSweepAt) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.forget(key);
      else if (window.endsAt < next) next = window.endsAt;
    }
    this.nextSweepAt = next === Number.POSITIVE_INFINITY ? next : Math.max(next, now + SWEEP_EVERY_MS);
  }
}

/** `kind:address` with the address as its group: the kind never holds a colon, an IPv6 address does. */
function keyOf(client: string): string {
  const colon = client.indexOf(":");
  if (colon < 0) return client;
  return `${client.slice(0, colon + 1)}${addressGroup(client.slice(colon + 1))}`;
}
