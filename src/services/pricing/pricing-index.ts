import type { Logger } from "pino";
import { ServiceError } from "../../errors.ts";
import type { Tx } from "../context.ts";
import { toTokenPricing } from "./pricing-facts.ts";
import { PricingSnapshot } from "./pricing-snapshot.ts";

/**
 * GetTokenPricing's hot path: every customer's pricing inputs held in memory, answers serialized once and
 * reused. Freshness:
 * - a change made through this instance calls invalidate(), so the very next answer re-checks the database;
 * - a change made through another instance bumps `pricing_version` (a trigger), which this instance polls
 *   at most every `refreshMs`; that interval is the staleness bound across instances.
 */
export class PricingIndex {
  private snapshot: PricingSnapshot | undefined;
  private version: bigint | undefined;
  private readonly answers = new Map<bigint, string>();
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly db: Tx,
    private readonly refreshMs: number,
    private readonly logger?: Logger,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Forces a version check before the next answer. */
  invalidate(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  async json(customerId: bigint): Promise<string> {
    if (this.clock() - this.checkedAt >= this.refreshMs || !this.snapshot) await this.refresh();
    const cached = this.answers.get(customerId);
    if (cached !== undefined) return cached;
    if (!this.snapshot!.has(customerId)) throw ServiceError.notFound(`customer ${customerId}`);
    const json = JSON.stringify(toTokenPricing(this.snapshot!.facts(customerId)));
    this.answers.set(customerId, json);
    return json;
  }

  /** One check (and reload when needed) at a time; concurrent requests wait for the same one. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.checkAndReload().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async checkAndReload(): Promise<void> {
    const startedAt = this.clock();
    const row = await this.db.selectFrom("pricing_version").select("version").executeTakeFirstOrThrow();
    if (row.version !== this.version || !this.snapshot) {
      const snapshot = await PricingSnapshot.load(this.db);
      this.snapshot = snapshot;
      this.version = row.version;
      this.answers.clear();
      this.logger?.debug(
        { version: String(row.version), ms: Math.round(this.clock() - startedAt) },
        "pricing index reloaded",
      );
    }
    this.checkedAt = startedAt;
  }
}
