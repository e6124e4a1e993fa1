import type { Config } from "../../config.ts";
import type { UsageSource } from "../../domain/usage-record.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";
import { SnapshotUsageSource } from "./snapshot-usage-source.ts";
import { SolusioUsageSource } from "./solusio-usage-source.ts";

type SourceName = Config["USAGE_SOURCE"];

function sourceNamed(ctx: ServiceContext, name: SourceName): UsageSource {
  if (name === "solusio")
    // ctx.signal (the process stopping) cancels a page read at once, so the run is recorded interrupted.
    return new SolusioUsageSource(
      configuredSolusioApi(ctx).stoppedBy(ctx.signal),
      ctx.config.SOLUSIO_USAGE_PATH,
    );
  return new SnapshotUsageSource(ctx.db, name);
}

/**
 * The billed source chosen by USAGE_SOURCE, and the one USAGE_CROSS_CHECK compares it with (solusio-api.md
 * §9): any two of the usage endpoint, the snapshots, the activity log, or snapshots and log together.
 */
export function usageSourcesFromConfig(ctx: ServiceContext): {
  source: UsageSource;
  crossCheck: UsageSource | undefined;
} {
  const check = ctx.config.USAGE_CROSS_CHECK;
  return {
    source: sourceNamed(ctx, ctx.config.USAGE_SOURCE),
    crossCheck: check === "off" ? undefined : sourceNamed(ctx, check),
  };
}

function inUse(config: Pick<Config, "USAGE_SOURCE" | "USAGE_CROSS_CHECK">): string[] {
  return [config.USAGE_SOURCE, config.USAGE_CROSS_CHECK];
}

/** Whether a configured source reads SolusIO's usage endpoint, so a billing run needs SolusIO itself. */
export function readsUsageEndpoint(config: Pick<Config, "USAGE_SOURCE" | "USAGE_CROSS_CHECK">): boolean {
  return inUse(config).includes("solusio");
}

/** Whether a configured source reads the server snapshots, so GET servers must be polled. */
export function pollsServers(config: Pick<Config, "USAGE_SOURCE" | "USAGE_CROSS_CHECK">): boolean {
  return inUse(config).some((s) => s === "snapshots" || s === "snapshots+activity");
}

/** Whether a configured source reads the activity log, so it must be read on the same schedule. */
export function readsActivity(config: Pick<Config, "USAGE_SOURCE" | "USAGE_CROSS_CHECK">): boolean {
  return inUse(config).some((s) => s === "activity" || s === "snapshots+activity");
}
