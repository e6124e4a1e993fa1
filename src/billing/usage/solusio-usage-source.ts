import type { SolusioApi } from "../../solusio/solusio-api.ts";
import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";

/** What this source needs from SolusIO: its usage, page by page (SolusioApi.listUsage). */
export type UsageApi = Pick<SolusioApi, "listUsage">;

/**
 * Usage source (a): SolusIO's usage endpoint (solusio-api.md §9 (a)). Reading, validating and mapping its
 * [OURS] answer is the SolusIO client's business (src/solusio/list-usage.ts), with its retries and call log.
 */
export class SolusioUsageSource implements UsageSource {
  readonly name = "solusio";

  constructor(
    private readonly api: UsageApi,
    private readonly path = "usage",
  ) {}

  fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord> {
    return this.api.listUsage(period, this.path);
  }
}
