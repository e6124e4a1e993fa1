import { ServiceError } from "../../errors.ts";
import type { ServiceContext } from "../../services/context.ts";
import { fetchGetJson, type GetJson } from "./get-json.ts";
import { SnapshotUsageSource } from "./snapshot-usage-source.ts";
import { SolusioUsageSource } from "./solusio-usage-source.ts";
import type { UsageSource } from "./usage-record.ts";

/** The GetJson of the SolusIO this process talks to. */
export function configuredGetJson(ctx: ServiceContext): GetJson {
  // The SolusIO client of this process (configured or sandbox): retries, timeouts, the call log.
  const client = ctx.solusio?.connection.api.client;
  if (client) return (path, query) => client.getJson(path, query);
  const { SOLUSIO_URL: apiUrl, SOLUSIO_API_TOKEN: token } = ctx.config;
  if (!apiUrl) throw ServiceError.validation("SOLUSIO_URL", "is required to read usage from SolusIO");
  if (!token) throw ServiceError.validation("SOLUSIO_API_TOKEN", "is required to read usage from SolusIO");
  return fetchGetJson({ apiUrl, token });
}

/**
 * The billed source chosen by USAGE_SOURCE, and the snapshot cross-check when USAGE_CROSS_CHECK is on
 * (solusio-api.md §9). `getJson` defaults to the configured SolusIO.
 */
export function usageSourcesFromConfig(
  ctx: ServiceContext,
  getJson?: GetJson,
): { source: UsageSource; crossCheck: UsageSource | undefined } {
  const snapshots = new SnapshotUsageSource(ctx.db);
  if (ctx.config.USAGE_SOURCE === "snapshots") return { source: snapshots, crossCheck: undefined };
  const source = new SolusioUsageSource(getJson ?? configuredGetJson(ctx), ctx.config.SOLUSIO_USAGE_PATH);
  return { source, crossCheck: ctx.config.USAGE_CROSS_CHECK ? snapshots : undefined };
}
