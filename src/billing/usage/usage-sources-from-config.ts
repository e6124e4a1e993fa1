import type { ServiceContext } from "../../kernel/context.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";
import { SnapshotUsageSource } from "./snapshot-usage-source.ts";
import { SolusioUsageSource } from "./solusio-usage-source.ts";
import type { UsageSource } from "../../domain/usage-record.ts";

/**
 * The billed source chosen by USAGE_SOURCE, and the snapshot cross-check when USAGE_CROSS_CHECK is on
 * (solusio-api.md §9). Source (a) reads the SolusIO of the context.
 */
export function usageSourcesFromConfig(ctx: ServiceContext): {
  source: UsageSource;
  crossCheck: UsageSource | undefined;
} {
  const snapshots = new SnapshotUsageSource(ctx.db);
  if (ctx.config.USAGE_SOURCE === "snapshots") return { source: snapshots, crossCheck: undefined };
  const source = new SolusioUsageSource(configuredSolusioApi(ctx), ctx.config.SOLUSIO_USAGE_PATH);
  return { source, crossCheck: ctx.config.USAGE_CROSS_CHECK ? snapshots : undefined };
}
