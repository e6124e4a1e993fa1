import { RateLimiterMemory } from "rate-limiter-flexible";
import { ServiceError } from "../kernel/errors.ts";
import { ProtocolError } from "./errors.ts";

// Every endpoint that checks a secret (admin API keys, the GetTokenPricing token, signed SSO links) counts
// wrong secrets per client address and kind of secret (callers key by `kind:address`, so a SolusIO with a
// stale pricing token does not lock staff out of the admin API). Once an address has made `perMinute` wrong guesses it is refused with
// 429 for the rest of the window, before its next guess is even checked, so keys cannot be tried at speed.
// Right secrets are never counted: SolusIO may call GetTokenPricing thousands of times a minute.
//
// The counts live in this process (rate-limiter-flexible's memory store): with several instances behind a
// balancer an address gets `perMinute` guesses per instance, which still bounds guessing to a crawl.

export class SecretFailureLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perMinute: number) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Throws 429 while `client` has used up its wrong guesses. */
  async assertAllowed(client: string): Promise<void> {
    const state = await this.limiter.get(client);
    if (state && state.consumedPoints >= this.perMinute) {
      const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new ProtocolError("RATE_LIMITED", `too many failed attempts; retry in ${seconds} s`, {
        "retry-after": String(seconds),
      });
    }
  }

  async recordFailure(client: string): Promise<void> {
    // consume() rejects once the points are gone; the next assertAllowed() refuses, which is all we need.
    await this.limiter.consume(client).catch(() => undefined);
  }

  /** Runs a secret check for `client`: refused while blocked, and a failure (UNAUTHORIZED/FORBIDDEN) counts. */
  async guard<T>(client: string, check: () => Promise<T> | T): Promise<T> {
    await this.assertAllowed(client);
    try {
      return await check();
    } catch (error) {
      if (error instanceof ServiceError && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN"))
        await this.recordFailure(client);
      throw error;
    }
  }
}
