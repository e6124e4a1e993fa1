import { performance } from "node:perf_hooks";
import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";

/** A claim this runner holds: when it was last known to be its own (the sending of the statement that said so). */
interface Hold {
  confirmedAt: number;
}

/**
 * Keeps a runner's claims alive while their jobs run. A claim lasts `lockSeconds` so that a crashed
 * runner's jobs are taken over soon; a job that runs longer (a billing run) would then be taken over while
 * it is still running, and run twice. Renewing every third of the lock keeps it held with room for a slow
 * renewal, and one statement renews every job this runner holds.
 *
 * A claim can still be lost while its job runs: renewals that do not reach the database (its connection
 * away, this process paused) let it run out, and another runner takes the job over. The attempt must then
 * stop, or its late SolusIO calls write an older state over what the job's next run and the customer's next
 * job wrote. So `onLost` is told of a claim a renewal finds no longer this runner's, and of one whose
 * renewals have not confirmed it for half the lock: the next renewal would come too late to keep it.
 */
export class LockKeeper {
  private readonly held = new Map<bigint, Hold>();
  private timer: NodeJS.Timeout | undefined;
  /** The last renewal sent has not (yet) answered: failed, or still waiting for the database. */
  private unconfirmed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly workerId: string,
    private readonly lockSeconds: number,
    private readonly logger: Logger,
    private readonly onLost: (ids: bigint[]) => void = () => {},
  ) {}

  /**
   * Keeps `id`'s claim alive. `claimedAt` (performance.now() when the claiming statement was sent) dates a new
   * claim; without it, a claim not held yet is dated now.
   */
  hold(id: bigint, claimedAt?: number): void {
    const current = this.held.get(id);
    if (!current) this.held.set(id, { confirmedAt: claimedAt ?? performance.now() });
    else if (claimedAt !== undefined) current.confirmedAt = Math.max(current.confirmedAt, claimedAt);
    if (this.timer) return;
    this.timer = setInterval(() => void this.renew(), (this.lockSeconds * 1000) / 3);
    this.timer.unref();
  }

  holds(id: bigint): boolean {
    return this.held.has(id);
  }

  release(id: bigint): void {
    this.held.delete(id);
    if (this.held.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    const sentAt = performance.now();
    if (this.unconfirmed) this.lose(this.expiring(sentAt));
    const sent = [...this.held];
    if (sent.length === 0) return;
    this.unconfirmed = true;
    let renewed: Set<bigint>;
    try {
      const rows = await this.db
        .updateTable("job")
        .set({ locked_until: sql<Date>`now() + make_interval(secs => ${this.lockSeconds})` })
        .where(
          "id",
          "in",
          sent.map(([id]) => id),
        )
        .where("locked_by", "=", this.workerId)
        .where("status", "=", "running")
        .returning("id")
        .execute();
      renewed = new Set(rows.map((r) => r.id));
      this.unconfirmed = false;
    } catch (error) {
      this.logger.warn({ err: error }, "could not renew job claims");
      return;
    }
    // Only a hold that is still the one sent: one released meanwhile (its job ended) or claimed anew is not lost.
    const lost: bigint[] = [];
    for (const [id, hold] of sent) {
      if (this.held.get(id) !== hold) continue;
      if (renewed.has(id)) hold.confirmedAt = Math.max(hold.confirmedAt, sentAt);
      else lost.push(id);
    }
    this.lose(lost);
  }

  /** Holds not confirmed for half the lock: the next renewal, a third of it away, may find them run out. */
  private expiring(now: number): bigint[] {
    const limit = (this.lockSeconds * 1000) / 2;
    return [...this.held].filter(([, hold]) => now - hold.confirmedAt >= limit).map(([id]) => id);
  }

  private lose(ids: bigint[]): void {
    if (ids.length === 0) return;
    for (const id of ids) this.release(id);
    this.onLost(ids);
  }
}
