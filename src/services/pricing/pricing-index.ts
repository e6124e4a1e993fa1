import type { Logger } from "pino";
import { ServiceError, UpstreamError } from "../../kernel/errors.ts";
import type { Tx } from "../../kernel/context.ts";
import { Interner } from "../../kernel/interner.ts";
import { asciiJson } from "../../kernel/json.ts";
import { within } from "../../kernel/within.ts";
import { type ChangedRows, readChangedRows } from "./changed-rows.ts";
import {
  currentPosition,
  type LogPosition,
  type PricingChanges,
  prunePricingChanges,
} from "./pricing-changes.ts";
import { toTokenPricing } from "./pricing-facts.ts";
import { PricingSnapshot } from "./pricing-snapshot.ts";

/** Beyond this many changes in one refresh, one full reload is cheaper than applying them one by one. */
const MAX_INCREMENTAL_CHANGES = 1000;
/** How long change rows are kept; an instance that has not read the log for longer reloads everything. */
export const PRICING_CHANGE_RETENTION_MS = 10 * 60_000;
const PRUNE_CHECK_MS = 60_000;
/**
 * How long an answer waits for a due check before it is answered from the index as it is (the check goes on).
 * A check takes about a millisecond; one that takes this long is on a database that stopped answering without
 * refusing (a dead host, a network that drops packets), where it could wait until the operating system gives
 * up on the connection, some 15 minutes on Linux.
 */
const CHECK_WAIT_MS = 500;
const noop = () => {};
/** Background checks while unreachable with PRICING_REFRESH_MS=0 (a check every answer): one a second, not a loop. */
const RECOVERY_CHECK_AT_ZERO_MS = 1000;
/** Distinct answers held once; beyond them (a book where most customers have discounts of their own) an answer is kept as made. */
const DISTINCT_ANSWERS = 10_000;

/**
 * The answers' key for a customer id in decimal without leading zeros: the number itself up to 15 digits
 * (exact in a double), else the text. One id has one key, so a lookup never misses an answer it holds.
 */
function answerKey(customerId: string): number | string {
  return customerId.length <= 15 ? Number(customerId) : customerId;
}

export interface PricingIndexStats {
  fullReloads: number;
  incrementalRefreshes: number;
  customersReloaded: number;
}

/**
 * GetTokenPricing's hot path: every customer's pricing inputs held in memory, answers serialized once and
 * reused. Freshness:
 * - a change made through this instance calls catchUp() before its answer is sent: the index applies it while
 *   requests go on being answered from the index as it was, and the writer's answer waits until it is applied,
 *   so whoever made a change reads it back. invalidate() instead makes the very next answer wait for a check;
 * - a change made through another instance is found in the `pricing_change` log, which this instance reads
 *   at most every `refreshMs`; that interval is the staleness bound across instances.
 * - while the database cannot be reached, answers come from the index as it was, and a check runs once an
 *   interval in the background, on a timer as well as on a request, so the first answer after the database is
 *   back is within the interval again. Not after a change this instance was told of and could not apply yet
 *   (invalidate()): those answers fail until it is applied. (Other instances that still reach the database
 *   may change prices meanwhile: docs/ARCHITECTURE.md, "When PostgreSQL goes away".)
 * - a check that has not answered within `checkWaitMs` leaves the answers to the index as it is until it
 *   completes (or fails, as above), so a database that stops answering does not hold GetTokenPricing up;
 *   the bound is then the interval plus the time the database takes to answer. Not after invalidate() either.
 * A refresh applies only what changed: a customer's change reloads that customer's row and own discounts and
 * drops its answer; a group discount reloads that group's discounts and drops that group's answers; a currency
 * or tax change reloads the shared tables (few rows) and drops every answer; the log and those rows are read as of
 * one snapshot (changed-rows.ts), so no answer sees a row without the rows it names. Everything is reloaded only at start, after
 * more than MAX_INCREMENTAL_CHANGES changes, when the log was pruned past this instance's position, or after a
 * TRUNCATE of a table pricing reads or of the log (migration 028).
 */
export class PricingIndex {
  private snapshot: PricingSnapshot | undefined;
  private position: LogPosition | undefined;
  /** Serialized answers by customer id (answerKey: a number where exact, hashed far faster than a string). */
  private readonly answers = new Map<number | string, string>();
  /**
   * Customers of one currency, tax rule and discounts get the same answer: held once, an answer costs a
   * customer a map entry, not its own copy of some 300 bytes (docs/performance.md). Emptied with `answers`.
   */
  private readonly answerTexts = new Interner<string>(DISTINCT_ANSWERS);
  private checkedAt = Number.NEGATIVE_INFINITY;
  private prunedAt = Number.NEGATIVE_INFINITY;
  /** Bumped by invalidate(); a refresh covers the invalidations made before it started. */
  private invalidations = 0;
  private covered = -1;
  /** Bumped by catchUp(); a refresh covers the calls made before it started. */
  private caughtUpRequests = 0;
  private caughtUpCovered = -1;
  private refreshing: Promise<void> | undefined;
  /** When the check that found the database unreachable ran; undefined while it can be reached. */
  private unreachableCheckedAt: number | undefined;
  /** Set while a check that overran `checkWaitMs` is still out: answers do not wait for it again. */
  private slowCheckOut = false;
  /** The next background check while unreachable (unref'd: it never keeps the process alive). */
  private recoveryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: PricingIndexStats = { fullReloads: 0, incrementalRefreshes: 0, customersReloaded: 0 };

  constructor(
    private readonly db: Tx,
    private readonly refreshMs: number,
    private readonly logger?: Logger,
    private readonly clock: () => number = () => performance.now(),
    private readonly options: { checkWaitMs?: number } = {},
  ) {}

  /**
   * Loads the index now instead of at the first answer (at a million customers the load takes seconds, which
   * SolusIO's first calls would otherwise wait). Shares a load already under way; rejects when it fails.
   */
  warm(): Promise<void> {
    return this.snapshot ? Promise.resolve() : this.refresh();
  }

  /** Whether the index holds prices: false until its first load has completed. */
  get loaded(): boolean {
    return this.snapshot !== undefined;
  }

  /** Stops the background checks (the server's close). */
  close(): void {
    this.closed = true;
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = undefined;
  }

  /** Forces a check for changes before the next answer. */
  invalidate(): void {
    this.invalidations++;
  }

  /**
   * Applies every change committed so far before it resolves, without holding up answers meanwhile: they
   * come from the index as it was until the changes are in, all at once. Rejects when the check fails.
   */
  async catchUp(): Promise<void> {
    const wanted = ++this.caughtUpRequests;
    await this.refresh();
    // The refresh joined above may have started before this change committed: then one more is needed.
    if (this.caughtUpCovered < wanted) await this.refresh();
  }

  async json(customerId: bigint): Promise<string> {
    try {
      await this.ensureFresh();
    } catch (error) {
      // The index's only outside system is the database: an UpstreamError from a check means it is unreachable.
      if (!(error instanceof UpstreamError) || !this.answersWithoutCheck()) throw error;
      this.noteUnreachable(error);
    }
    return this.answerOf(String(customerId));
  }

  /**
   * The answer at once when no refresh is due (the common case: no promise, no BigInt), else undefined and
   * the caller awaits json(). `customerId` must be a customer id in decimal without leading zeros.
   * Throws NOT_FOUND for an unknown customer.
   */
  jsonIfFresh(customerId: string): string | undefined {
    return this.isFresh(this.invalidations) ? this.answerOf(customerId) : undefined;
  }

  private answerOf(customerId: string): string {
    const key = answerKey(customerId);
    const cached = this.answers.get(key);
    if (cached !== undefined) return cached;
    const id = BigInt(customerId);
    if (!this.snapshot!.has(id)) throw ServiceError.notFound(`customer ${customerId}`);
    // Kept as ASCII: an answer is written many times, and a currency sign would be encoded on every write.
    const json = this.answerTexts.of(asciiJson(JSON.stringify(toTokenPricing(this.snapshot!.facts(id)))));
    this.answers.set(key, json);
    return json;
  }

  private isFresh(wanted: number): boolean {
    return (
      this.snapshot !== undefined && this.covered >= wanted && this.clock() - this.checkedAt < this.refreshMs
    );
  }

  private async ensureFresh(): Promise<void> {
    const wanted = this.invalidations;
    if (this.isFresh(wanted)) return;
    if (this.answersWithoutCheck()) {
      if (this.unreachableCheckedAt !== undefined) {
        // Once an interval, not on every request: a database that is down is not hammered, nor waited for.
        this.checkIfDueWhileUnreachable();
        return;
      }
      if (this.slowCheckOut) return;
      const check = this.refresh();
      const waitMs = this.options.checkWaitMs ?? CHECK_WAIT_MS;
      const settled = (await within(check.then(noop, noop), waitMs)).settled;
      if (!settled) return this.answerWithoutWaitingFor(check, waitMs);
      // Settled: rejects here when it failed, as a check always did.
      return check;
    }
    await this.refresh();
    // The refresh joined above may have started before invalidate() was called: then one more is needed.
    if (this.covered < wanted) await this.refresh();
  }

  /** One refresh at a time; concurrent requests wait for the same one. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.checkAndApply().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Whether the index may answer though it could not check: it holds prices, and no change it was told of is missing. */
  private answersWithoutCheck(): boolean {
    return this.snapshot !== undefined && this.covered >= this.invalidations;
  }

  /** A check overran its wait: answers come from the index until it settles, which is logged either way. */
  private answerWithoutWaitingFor(check: Promise<void>, waitedMs: number): void {
    this.slowCheckOut = true;
    this.logger?.warn(
      { waitedMs },
      "the database is slow to answer: GetTokenPricing answers from memory until its check completes",
    );
    check.then(
      () => {
        this.slowCheckOut = false;
      },
      (error: unknown) => {
        this.slowCheckOut = false;
        if (error instanceof UpstreamError) this.noteUnreachable(error);
        else this.logger?.warn({ err: error }, "GetTokenPricing's check failed");
      },
    );
  }

  private noteUnreachable(error: UpstreamError): void {
    if (this.unreachableCheckedAt === undefined)
      this.logger?.warn(
        { reason: error.message },
        "the database cannot be reached: GetTokenPricing answers from memory, checking once an interval",
      );
    this.unreachableCheckedAt = this.clock();
    this.scheduleRecoveryCheck();
  }

  /** Starts a background check when an interval has passed since the last one that found the database away. */
  private checkIfDueWhileUnreachable(): void {
    if (this.unreachableCheckedAt === undefined || this.clock() - this.unreachableCheckedAt < this.refreshMs)
      return;
    this.unreachableCheckedAt = this.clock();
    // A success clears unreachableCheckedAt (checkAndApply); a failure leaves it, and the timer goes on.
    this.refresh().catch(noop);
  }

  /**
   * While unreachable, a check comes due every interval whether or not a request arrives: otherwise the first
   * answer after the database came back would be as stale as the outage was long (it starts the check and is
   * answered from memory).
   */
  private scheduleRecoveryCheck(): void {
    if (this.closed || this.recoveryTimer !== undefined || this.unreachableCheckedAt === undefined) return;
    const dueInMs = this.unreachableCheckedAt + this.refreshMs - this.clock();
    this.recoveryTimer = setTimeout(
      () => {
        this.recoveryTimer = undefined;
        this.checkIfDueWhileUnreachable();
        const check = this.refreshing ?? Promise.resolve();
        check.then(noop, noop).then(() => this.scheduleRecoveryCheck());
      },
      Math.max(dueInMs, this.refreshMs > 0 ? 1 : RECOVERY_CHECK_AT_ZERO_MS),
    );
    this.recoveryTimer.unref();
  }

  private async checkAndApply(): Promise<void> {
    const startedAt = this.clock();
    const invalidations = this.invalidations;
    const caughtUp = this.caughtUpRequests;
    if (!this.snapshot || this.position === undefined) {
      await this.reloadAll("start");
    } else {
      const { changes, rows } = await readChangedRows(this.db, this.position, MAX_INCREMENTAL_CHANGES);
      if (changes.behind) await this.reloadAll("the change log was pruned past this instance");
      else if (changes.tooMany) await this.reloadAll("many changes");
      else if (changes.everything) await this.reloadAll("a table pricing reads was truncated");
      else this.apply(changes, rows);
    }
    this.checkedAt = startedAt;
    if (this.unreachableCheckedAt !== undefined || this.slowCheckOut) {
      this.unreachableCheckedAt = undefined;
      this.logger?.info("the database can be reached again: GetTokenPricing checks for changes again");
    }
    this.covered = invalidations;
    this.caughtUpCovered = caughtUp;
    if (startedAt - this.prunedAt >= PRUNE_CHECK_MS) {
      this.prunedAt = startedAt;
      // In the background: pruning never decides an answer, so no request waits for it.
      prunePricingChanges(this.db, PRICING_CHANGE_RETENTION_MS).then(
        (deleted) =>
          deleted > 0n && this.logger?.debug({ deleted: String(deleted) }, "pricing changes pruned"),
        (error) => this.logger?.warn({ err: error }, "pruning pricing changes failed"),
      );
    }
  }

  private async reloadAll(reason: string): Promise<void> {
    const startedAt = this.clock();
    // The position is taken before the load: a change committed meanwhile is read (again) next time.
    const position = await currentPosition(this.db);
    const snapshot = await PricingSnapshot.load(this.db);
    this.snapshot = snapshot;
    this.position = position;
    this.forgetAnswers();
    this.stats.fullReloads++;
    const ms = Math.round(this.clock() - startedAt);
    if (reason === "start") this.logger?.info({ customers: snapshot.size, ms }, "pricing index loaded");
    else this.logger?.debug({ reason, customers: snapshot.size, ms }, "pricing index reloaded");
  }

  /** Every answer is made again: the inputs they shared have changed. */
  private forgetAnswers(): void {
    this.answers.clear();
    this.answerTexts.clear();
  }

  /** Applies changes with the rows they name, read as of the same snapshot (changed-rows.ts); synchronous, so no request sees a change half applied. */
  private apply(changes: PricingChanges, rows: ChangedRows | undefined): void {
    this.position = changes.position;
    if (!rows) return;
    const ids = [...changes.customers];
    const groups = changes.shared ? [] : [...changes.groups];
    const { customers, ownDiscounts, groupDiscounts, shared } = rows;
    const snapshot = this.snapshot!;
    snapshot.replaceCustomers(ids, customers, ownDiscounts);
    for (const id of ids) this.answers.delete(answerKey(String(id)));
    if (shared) {
      snapshot.replaceShared(shared);
      this.forgetAnswers();
    } else if (groups.length) {
      snapshot.replaceGroupDiscounts(groups, groupDiscounts);
      for (const group of groups)
        for (const id of snapshot.membersOf(group)) this.answers.delete(answerKey(String(id)));
    }
    if (ids.length > 0 || groups.length > 0 || shared) {
      this.stats.incrementalRefreshes++;
      this.stats.customersReloaded += ids.length;
    }
  }
}
