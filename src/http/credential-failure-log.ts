import type { Logger } from "pino";
import { addressGroup } from "./address-group.ts";

// Failed credentials, logged at warn so that an operator sees an attack: a wrong or missing admin API key
// (src/http/access.ts), a wrong console or portal login, two-factor code or current password (src/web). A
// line names the route, the client address (request.ip: TRUST_PROXY's hops, client-address.ts) and a reason
// from a fixed list, never what was typed: a key, a password, a code, not even the e-mail (people type their
// password into the e-mail field).
//
// A flood cannot fill the log. An address (IPv6 by /64, as the limiters count) gets at most one line a
// minute: its first failure is logged at once (a mistyped password is one line), later ones in that minute are
// counted and written as one line with the count once the minute is over (by the next failure or the
// minute's sweep). And at most LINES_PER_MINUTE lines a minute are written in all, so that many addresses at
// once (a botnet) are one more line a minute, "… not logged one by one", with their count and the number of
// distinct addresses (until 2026-12-06 an address left out in two minutes, or twice, counted twice). What it
// holds is bounded (MAX_ADDRESSES; the oldest address goes first, its count into that line).

const MINUTE_MS = 60_000;
const LINES_PER_MINUTE = 100;
const MAX_ADDRESSES = 10_000;

/** Why a credential failed: the only words a line gives for it. */
export type CredentialFailureReason =
  | "missing key"
  | "wrong key"
  | "wrong e-mail or password"
  | "wrong two-factor code"
  | "wrong current password"
  | "missing token"
  | "wrong token"
  | "bad or expired link"
  | "rate limited";

export interface CredentialFailure {
  /** The route's method and pattern (`POST /console/login`), never the raw URL with its query. */
  route: string;
  address: string;
  reason: CredentialFailureReason;
}

interface AddressCount {
  address: string;
  /** When this address's last line was written (ms by the clock). */
  loggedAt: number;
  /** Failures since that line, not yet written. */
  pending: number;
  routes: Map<string, number>;
  reasons: Map<string, number>;
  last: CredentialFailure;
}

export class CredentialFailureLog {
  private readonly counts = new Map<string, AddressCount>();
  private minuteStart = Number.NEGATIVE_INFINITY;
  private linesThisMinute = 0;
  /** Failures whose line the minute's budget or the address cap left out, and from how many addresses. */
  private unlogged = { failures: 0, addresses: new Set<string>(), since: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Pick<Logger, "warn">,
    private readonly options: {
      clock?: () => number;
      /** Sweep every minute by a timer (off in tests, which call sweep()). */
      timer?: boolean;
      linesPerMinute?: number;
      maxAddresses?: number;
    } = {},
  ) {}

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  record(failure: CredentialFailure): void {
    const now = this.now();
    const key = addressGroup(failure.address);
    let count = this.counts.get(key);
    if (count === undefined) {
      this.makeRoom();
      count = {
        address: failure.address,
        loggedAt: Number.NEGATIVE_INFINITY,
        pending: 0,
        routes: new Map(),
        reasons: new Map(),
        last: failure,
      };
      this.counts.set(key, count);
    }
    count.address = failure.address;
    count.last = failure;
    count.pending++;
    bump(count.routes, failure.route);
    bump(count.reasons, failure.reason);
    if (now - count.loggedAt >= MINUTE_MS) this.write(key, count, now);
    else this.startTimer();
  }

  /** Writes the counts of the addresses whose minute is over, and forgets those quiet for a minute. */
  sweep(): void {
    const now = this.now();
    for (const [key, count] of this.counts) {
      if (now - count.loggedAt < MINUTE_MS) continue;
      if (count.pending > 0) this.write(key, count, now);
      else this.counts.delete(key);
    }
    this.writeUnlogged(now);
    if (this.counts.size === 0 && this.unlogged.failures === 0) this.stopTimer();
  }

  close(): void {
    this.stopTimer();
  }

  private write(key: string, count: AddressCount, now: number): void {
    if (now - this.minuteStart >= MINUTE_MS) {
      this.writeUnlogged(now);
      this.minuteStart = now;
      this.linesThisMinute = 0;
    }
    const pending = count.pending;
    const fields = {
      route: count.last.route,
      address: count.address,
      ...(key === count.address ? {} : { address_group: key }),
      reason: count.last.reason,
      count: pending,
      // Over a minute several routes or reasons may be mixed: each with its count.
      ...(count.routes.size > 1 ? { routes: Object.fromEntries(count.routes) } : {}),
      ...(count.reasons.size > 1 ? { reasons: Object.fromEntries(count.reasons) } : {}),
    };
    count.loggedAt = now;
    count.pending = 0;
    count.routes.clear();
    count.reasons.clear();
    if (this.linesThisMinute >= (this.options.linesPerMinute ?? LINES_PER_MINUTE)) {
      this.addUnlogged(key, pending, now);
      this.startTimer();
      return;
    }
    this.linesThisMinute++;
    this.logger.warn(fields, pending === 1 ? "failed credentials" : `failed credentials, ${pending} times`);
  }

  /** Failures of an address (its group) left out of the log; the address is counted once however often. */
  private addUnlogged(key: string, failures: number, now: number): void {
    if (this.unlogged.failures === 0) this.unlogged.since = now;
    this.unlogged.failures += failures;
    // Bounded as the counts are: past the cap the number is a floor ("at least").
    if (this.unlogged.addresses.size < (this.options.maxAddresses ?? MAX_ADDRESSES))
      this.unlogged.addresses.add(key);
  }

  /** The line for the failures the budget or the cap left out, once their minute is over. */
  private writeUnlogged(now: number): void {
    const { failures, since } = this.unlogged;
    if (failures === 0 || now - since < MINUTE_MS) return;
    const addresses = this.unlogged.addresses.size;
    this.unlogged = { failures: 0, addresses: new Set(), since: 0 };
    this.logger.warn(
      { count: failures, addresses },
      `failed credentials not logged one by one (too many addresses at once): ${failures} from ${addresses} addresses`,
    );
  }

  /** At the cap, the oldest address goes, its unwritten failures into the unlogged count. */
  private makeRoom(): void {
    const max = this.options.maxAddresses ?? MAX_ADDRESSES;
    while (this.counts.size >= max) {
      const [oldest, count] = this.counts.entries().next().value ?? [];
      if (oldest === undefined || count === undefined) return;
      if (count.pending > 0) this.addUnlogged(oldest, count.pending, this.now());
      this.counts.delete(oldest);
    }
  }

  private startTimer(): void {
    if (this.timer !== undefined || this.options.timer === false) return;
    this.timer = setInterval(() => this.sweep(), MINUTE_MS);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
