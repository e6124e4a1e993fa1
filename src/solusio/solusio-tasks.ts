import { pollServers } from "../billing/usage/poll-servers.ts";
import { startPeriodicTask } from "../jobs/periodic-task.ts";
import type { ServiceContext } from "../services/context.ts";
import { reconcileSolusio } from "../services/sync/reconcile.ts";
import type { SolusioIntegration } from "./integration.ts";
import { ensureBound } from "./solusio-binding.ts";

/**
 * What `serve` does against SolusIO on a clock: reconciliation (report only: drift is logged, never fixed
 * unasked) and, when server snapshots are a usage source, the poll of GET servers (solusio-api.md §9 (b)).
 * Returns the stop functions.
 */
export function startSolusioTasks(ctx: ServiceContext, solusio: SolusioIntegration): (() => Promise<void>)[] {
  const stops: (() => Promise<void>)[] = [];
  const { config, logger } = ctx;
  if (config.RECONCILE_INTERVAL_MS > 0) {
    const task = startPeriodicTask(
      "reconciliation",
      config.RECONCILE_INTERVAL_MS,
      logger,
      async () => {
        await ensureBound(ctx.db, solusio.connection);
        const report = await reconcileSolusio(
          ctx,
          { api: solusio.connection.api, limitGroupId: solusio.limitGroupId },
          { fix: false },
        );
        const level = report.drift.length > 0 ? "warn" : "info";
        logger[level](
          {
            customers: report.customers,
            solusioUsers: report.solusio_users,
            drift: report.drift.slice(0, 20),
          },
          `reconciliation: ${report.drift.length} differences (tokenbill solusio reconcile --fix repairs them)`,
        );
      },
      // The first round waits a full interval: at start, freshly queued syncs would show up as drift.
      { runAtStart: false },
    );
    stops.push(() => task.stop());
  }
  if (config.USAGE_SOURCE === "snapshots" || config.USAGE_CROSS_CHECK) {
    const client = solusio.connection.api.client;
    const task = startPeriodicTask("server poll", config.SERVER_POLL_INTERVAL_MS, logger, async () => {
      await ensureBound(ctx.db, solusio.connection);
      await pollServers({ ctx, input: { getJson: (path, query) => client.getJson(path, query) } });
    });
    stops.push(() => task.stop());
  }
  return stops;
}
