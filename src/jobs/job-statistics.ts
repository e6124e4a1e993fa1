import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { refreshJobStatistics } from "./claim-jobs.ts";

// When a runner working through a backlog has PostgreSQL refresh the job table's statistics (claim-jobs.ts
// says why a claim needs them), so that claims keep a constant cost.

/**
 * A runner working through a backlog (its claims come back full) refreshes the job table's statistics after
 * this many claimed jobs, and then at most every STATISTICS_EVERY_MS: a claim planned on statistics from
 * before the backlog reads every open job (claim-jobs.ts). bench/sync, 10,000 customers on PGlite: claims
 * went from growing with the backlog to a constant cost.
 */
const STATISTICS_AFTER_JOBS = 200;
const STATISTICS_EVERY_MS = 10_000;

/** One runner's count of the jobs it claimed since the statistics were last refreshed. */
export class JobStatistics {
  private claimedSince = 0;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  /** The refresh under way, if any: a stopping runner waits for it. */
  refreshing: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  /** Refreshes the job table's statistics, in the background, while claims come back full. */
  noteClaim(claimed: number, limit: number): void {
    this.claimedSince += claimed;
    if (claimed < limit || this.refreshing) return;
    if (this.claimedSince < STATISTICS_AFTER_JOBS) return;
    if (Date.now() - this.refreshedAt < STATISTICS_EVERY_MS) return;
    this.claimedSince = 0;
    this.refreshedAt = Date.now();
    this.refreshing = refreshJobStatistics(this.db)
      .catch((error: unknown) => this.logger.warn({ err: error }, "could not analyze the job table"))
      .finally(() => {
        this.refreshing = undefined;
      });
  }
}
