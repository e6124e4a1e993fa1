import { sql } from "kysely";
import type { ServiceContext } from "../../kernel/context.ts";

/** How often a run's heartbeat and import progress are written while usage records keep arriving. */
export const IMPORT_HEARTBEAT_MS = 1_000;

/**
 * Keeps a run's heartbeat and progress (records read so far) fresh while its usage import goes on, however
 * slowly SolusIO pages it out. Staged progress alone moved every 20,000 records, so a slow usage read of a
 * smaller book went minutes without a beat (past 10 minutes another run took the period over as abandoned
 * while this one was alive), and the API and console showed `importing 0/0` for the whole import. A beat is
 * written only when records arrived since the last one, so a source that hangs still lets the run count as
 * abandoned; never once the run has left the import, whose progress would then be drafting's. A failed write
 * is left to the next tick: the import's own statements report outages.
 */
export function startImportHeartbeat(
  ctx: Pick<ServiceContext, "db" | "now">,
  runId: string,
  received: () => number,
  everyMs = IMPORT_HEARTBEAT_MS,
): { stop(): void } {
  let seen = received();
  const timer = setInterval(() => {
    const now = received();
    if (now === seen) return;
    seen = now;
    writeImportProgress(ctx, runId, now).catch(() => {});
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * The run's import progress: records read so far, and a heartbeat. Never backwards (the timer's write and a
 * page's may reach PostgreSQL in either order) and only while the run imports.
 */
export async function writeImportProgress(
  ctx: Pick<ServiceContext, "db" | "now">,
  runId: string,
  records: number,
): Promise<void> {
  await ctx.db
    .updateTable("billing_run")
    .set((eb) => ({
      processed: sql<number>`greatest(${eb.ref("processed")}, ${records})`,
      heartbeat_at: ctx.now(),
    }))
    .where("id", "=", runId)
    .where("state", "=", "running")
    .where("phase", "=", "importing")
    .execute();
}
