import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { ServiceError } from "../kernel/errors.ts";
import { ProtocolError } from "./errors.ts";

// Every endpoint that checks a secret (admin API keys, the GetTokenPricing token, signed SSO links) counts
// wrong secrets per client address and kind of secret (callers key by `kind:address`, so a SolusIO with a
// stale pricing token does not lock staff out of the admin API). Once an address has made `perMinute` wrong
// guesses it is refused with 429 for the rest of the window, before its next guess is even checked, so keys
// cannot be tried at speed. Right secrets are never counted: SolusIO may call GetTokenPricing thousands of
// times a minute.
//
// rate-limiter-flexible counts; the addresses it has blocked are also kept in a plain map, so the check
// every request makes is one synchronous lookup (GetTokenPricing is a hot path). The counts live in this
// process: with several instances behind a balancer an address gets `perMinute` guesses per instance,
// which still bounds guessing to a crawl.

export class SecretFailureLimiter {
  private readonly limiter: RateLimiterMemory;
  /** key → when its block ends (ms since the epoch). */
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Whether anyone is blocked now (or was, until the next assertAllowed for them clears it). */
  get blocking(): boolean {
    return this.blockedUntil.size > 0;
  }

  /** Throws 429 while `client` has used up its wrong guesses. */
  assertAllowed(client: string): void {
    // Nobody blocked, the common case by far: no lookup (the key is a string built for the request, which a
    // lookup would have to hash).
    if (this.blockedUntil.size === 0) return;
    const until = this.blockedUntil.get(client);
    if (until === undefined) return;
    const ms = until - this.clock();
    if (ms <= 0) {
      this.blockedUntil.delete(client);
      return;
    }
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    throw new ProtocolError("RATE_LIMITED", `too many failed attempts; retry in ${seconds} s`, {
      "retry-after": String(seconds),
    });
  }

  async recordFailure(client: string): Promise<void> {
    try {
      const state = await this.limiter.consume(client);
      if (state.remainingPoints <= 0) this.block(client, state.msBeforeNext);
    } catch (error) {
      // consume() rejects once the points are gone.
      if (error instanceof RateLimiterRes) this.block(client, error.msBeforeNext);
      else throw error;
    }
  }

  private block(client: string, ms: number): void {
    this.blockedUntil.set(client, this.clock() + ms);
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
}
