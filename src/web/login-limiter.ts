import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterStoreAbstract,
} from "rate-limiter-flexible";
import type { Db } from "../kernel/context.ts";
import { loginCountClient } from "../services/staff/login-counts.ts";
import { normaliseEmail } from "../services/staff/staff-users.ts";

// Wrong logins (and e-mailed-link requests) are counted per e-mail address and per client address over
// LOGIN_WINDOW_MINUTES. Once either count is used up the next attempt is refused with 429 and Retry-After
// before the password is even checked, so a password cannot be guessed at speed, whether one account is
// tried from many addresses or many accounts from one. A right password clears its e-mail's count (a
// person who mistyped twice is not punished later); the address's count stays, as one address trying many
// accounts is the other attack. On PostgreSQL (DATABASE_URL) the counts are rows of `login_count` (migration
// 036, rate-limiter-flexible's Postgres store: one atomic upsert an attempt), so every instance behind a
// balancer takes from the same ones; until 2026-12-06 each process kept its own, and N instances gave a
// guesser N times the attempts. The embedded database has one process, which keeps them in memory.
//
// An attempt takes its point before the password (or a two-factor code) is verified (`attempt`), in one step of the limiter, and
// gives it back when the password was right (`succeed`) or never checked (`giveBack`). Until 2026-12-04
// the count was only read first and raised after the ~50 ms verification, so 100 parallel guesses at one
// account had 58 passwords tried instead of 5.
//
// A login (or code) from a known device (login-device.ts) is counted by that device alone, neither by its
// e-mail nor by its address. Counts that cannot be reached are LoginCountsUnavailableError, never a guess let
// through uncounted (login-unavailable.ts answers it).
//
// E-mail keys are the address as the login looks it up (`loginKey`, normaliseEmail: trimmed, NBSP
// included, and lower-cased): " bert@…" was a fresh count for bert's account until 2026-12-04.

export interface LoginVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** The limiter's key for an e-mail address, optionally of one purpose (a login link, a reset). */
export function loginKey(email: string, purpose?: string): string {
  const address = normaliseEmail(email);
  return purpose === undefined ? address : `${purpose}:${address}`;
}

type Count = RateLimiterMemory | RateLimiterStoreAbstract;
/** One count and the key an attempt takes from it. */
type Counted = readonly [Count, string];

/**
 * The counts could not be read or written (on PostgreSQL: the database did not answer). No login can be
 * checked without them, so the page says so (a 503, register-web.ts) rather than letting anyone try
 * uncounted. `cause` keeps the store's error for the log.
 */
export class LoginCountsUnavailableError extends Error {
  constructor(cause: unknown) {
    super("the login counts cannot be reached");
    this.name = "LoginCountsUnavailableError";
    this.cause = cause;
  }
}

export class LoginLimiter {
  private readonly perEmail: Count;
  private readonly perIp: Count;
  private readonly perDevice: Count;

  /** `shared`: the PostgreSQL database whose `login_count` every instance counts in; memory without it. */
  constructor(settings: { perEmail: number; perIp: number; windowMinutes: number; shared?: Db | undefined }) {
    const duration = settings.windowMinutes * 60;
    const count = (keyPrefix: string, points: number): Count =>
      settings.shared === undefined
        ? new RateLimiterMemory({ keyPrefix, points, duration })
        : new RateLimiterPostgres({
            storeClient: loginCountClient(settings.shared),
            storeType: "pool",
            tableName: "login_count",
            tableCreated: true,
            clearExpiredByTimeout: true,
            keyPrefix,
            points,
            duration,
          });
    this.perEmail = count("login-email", settings.perEmail);
    this.perIp = count("login-ip", settings.perIp);
    this.perDevice = count("login-device", settings.perEmail);
  }

  /**
   * The counts an attempt on `key` takes from: its own (the key's, or that of the known device it came from)
   * and, without a known device, its address's. A known device is not held to its address's count: whoever
   * shares the address (a NAT, an office) could use that up and keep its owner out; its own count, as tight as
   * an e-mail's, still holds.
   */
  private counts(key: string, ip: string, device: string | undefined): { own: Counted; address?: Counted } {
    return device === undefined
      ? { own: [this.perEmail, key], address: [this.perIp, ip] }
      : { own: [this.perDevice, `${key}\n${device}`] };
  }

  /**
   * Takes one point from each of the attempt's counts, before anything is checked. Refused when any is used
   * up; a refused attempt takes nothing. The points of an allowed attempt stay taken, unless `succeed` or
   * `giveBack` returns them. LoginCountsUnavailableError when the counts cannot be reached.
   */
  async attempt(key: string, ip: string, device?: string): Promise<LoginVerdict> {
    const { own, address } = this.counts(key, ip, device);
    const counts = address === undefined ? [own] : [own, address];
    const taken = await Promise.allSettled(counts.map(([count, countKey]) => count.consume(countKey)));
    const refused = taken.flatMap((t) => (t.status === "rejected" ? [t.reason as unknown] : []));
    if (refused.length === 0) return { allowed: true, retryAfterSeconds: 0 };
    const failure = refused.find((reason) => !(reason instanceof RateLimiterRes));
    if (failure !== undefined) {
      // A point that was taken comes back if it can: no attempt stays counted that was never checked.
      await Promise.allSettled(
        counts.flatMap(([count, countKey], i) =>
          taken[i]?.status === "fulfilled" ? [count.reward(countKey)] : [],
        ),
      );
      throw new LoginCountsUnavailableError(failure);
    }
    // Every count went up in the consume (a refused consume counts too): all come back down.
    await this.giveBack(key, ip, device);
    const ms = Math.max(...(refused as RateLimiterRes[]).map((r) => r.msBeforeNext));
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
  }

  /** Returns an allowed attempt's points: nothing was checked (a form error), so nothing was guessed. */
  async giveBack(key: string, ip: string, device?: string): Promise<void> {
    const { own, address } = this.counts(key, ip, device);
    await reached([own[0].reward(own[1]), address?.[0].reward(address[1])]);
  }

  /**
   * A right password (or code): its own count (the key's, or its known device's) is cleared and the attempt's
   * point returned to the address.
   */
  async succeed(key: string, ip: string, device?: string): Promise<void> {
    const { own, address } = this.counts(key, ip, device);
    await reached([own[0].delete(own[1]), address?.[0].reward(address[1])]);
  }
}

/** Waits for every write to the counts; LoginCountsUnavailableError when one could not be made. */
async function reached(writes: (Promise<unknown> | undefined)[]): Promise<void> {
  const done = await Promise.allSettled(writes);
  const failed = done.find((d) => d.status === "rejected");
  if (failed) throw new LoginCountsUnavailableError(failed.reason);
}
