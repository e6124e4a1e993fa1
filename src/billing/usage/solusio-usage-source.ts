import { ServiceError } from "../../errors.ts";
import type { GetJson } from "./get-json.ts";
import { mapUsageItem, SolusioUsageItem, SolusioUsagePage, usageQuery } from "./solusio-usage-item.ts";
import type { UsagePeriod, UsageRecord, UsageSource } from "./usage-record.ts";

function invalid(path: string, page: number, detail: string): ServiceError {
  return new ServiceError(
    "UPSTREAM_UNAVAILABLE",
    `SolusIO usage (${path}, page ${page}) is not in the expected shape: ${detail}`,
  );
}

/**
 * Usage source (a): SolusIO's usage endpoint, every page until meta.last_page (solusio-api.md §1, §9).
 * An answer that does not validate stops the run: billing from half-understood usage is worse than not billing.
 */
export class SolusioUsageSource implements UsageSource {
  readonly name = "solusio";

  constructor(
    private readonly getJson: GetJson,
    private readonly path = "usage",
  ) {}

  async *fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord> {
    let total: number | undefined;
    for (let page = 1; ; page++) {
      const answer = SolusioUsagePage.safeParse(await this.getJson(this.path, usageQuery(period, page)));
      if (!answer.success) throw invalid(this.path, page, answer.error.issues[0]?.message ?? "invalid");
      const { data, meta } = answer.data;
      // Offset pages of a list that changes while it is read would skip or repeat servers.
      if (total !== undefined && meta?.total !== undefined && meta.total !== total) {
        throw new ServiceError(
          "UPSTREAM_UNAVAILABLE",
          `SolusIO usage changed while it was read (total ${total} then ${meta.total}); run again`,
        );
      }
      total = meta?.total ?? total;
      for (const [i, raw] of data.entries()) {
        const item = SolusioUsageItem.safeParse(raw);
        if (!item.success) {
          const issue = item.error.issues[0];
          throw invalid(
            this.path,
            page,
            `data[${i}].${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`,
          );
        }
        if (
          item.data.period_start.getTime() !== period.start.getTime() ||
          item.data.period_end.getTime() !== period.end.getTime()
        ) {
          throw invalid(this.path, page, `data[${i}] is for another period than the one asked for`);
        }
        yield mapUsageItem(item.data);
      }
      // Without meta there is one page only (as the official WHMCS module assumes).
      if (page >= (meta?.last_page ?? page) || data.length === 0) return;
    }
  }
}
