import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";

/**
 * Keeps a runner's claims alive while their jobs run. A claim lasts `lockSeconds` so that a crashed
 * runner's jobs are taken over soon; a job that runs longer (a billing run) would then be taken over while
 * it is still running, and run twice. Renewing every third of the lock keeps it held with room for a slow
 * renewal, and one statement renews every job this runner holds.
 */
export class LockKeeper {
  private readonly held = new Set<bigint>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly workerId: string,
    private readonly lockSeconds: number,
    private readonly logger: Logger,
  ) {}

  hold(id: bigint): void {
    this.held.add(id);
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
    const ids = [...this.held];
    if (ids.length === 0) return;
    await this.db
      .updateTable("job")
      .set({ locked_until: sql<Date>`now() + make_interval(secs => ${this.lockSeconds})` })
      .where("id", "in", ids)
      .where("locked_by", "=", this.workerId)
      .where("status", "=", "running")
      .execute()
      .catch((error) => this.logger.warn({ err: error }, "could not renew job claims"));
  }
}
