import type { ServiceContext } from "../../kernel/context.ts";

/** How often a run's heartbeat is written while usage records keep arriving. */
export const IMPORT_HEARTBEAT_MS = 30_000;

/**
 * Keeps a run's heartbeat fresh while its usage import makes progress, however slowly SolusIO pages it out.
 * Staged progress alone beat only every 20,000 records, so a slow usage read of a smaller book went minutes
 * without a beat: past 10 minutes another run took the period over as abandoned while this one was alive.
 * A beat is written only when records arrived since the last one, so a source that hangs still lets the run
 * count as abandoned. A failed write is left to the next tick: the import's own statements report outages.
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
    ctx.db
      .updateTable("billing_run")
      .set({ heartbeat_at: ctx.now() })
      .where("id", "=", runId)
      .where("state", "=", "running")
      .execute()
      .catch(() => {});
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
