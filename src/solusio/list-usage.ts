import type { UsagePeriod, UsageRecord } from "../domain/usage-record.ts";
import { ServiceError } from "../kernel/errors.ts";
import { describeItemIssue, followPages, type JsonReader } from "./follow-pages.ts";
import { instantMs, mapUsageItem, SolusioUsageItem, SolusioUsagePage, usageQuery } from "./usage-schemas.ts";

function invalid(path: string, page: number, detail: string): ServiceError {
  return new ServiceError(
    "UPSTREAM_UNAVAILABLE",
    `SolusIO usage (${path}, page ${page}) is not in the expected shape: ${detail}`,
  );
}

/** As far as it can be read, whose an item is: its server, SolusIO user, billing user and plan. */
function whoseItem(raw: unknown): string {
  const field = (o: unknown, key: string): unknown =>
    o && typeof o === "object" ? (o as Record<string, unknown>)[key] : undefined;
  // Only figures and short names: what SolusIO sent goes into an error message and the run's report.
  const shown = (v: unknown): string =>
    typeof v === "number" || (typeof v === "string" && /^[\w .-]{1,64}$/.test(v)) ? String(v) : "?";
  const server = field(raw, "server");
  const user = field(raw, "user");
  const name = field(server, "name");
  return [
    `server ${shown(field(server, "id"))}${name === undefined ? "" : ` (${shown(name)})`}`,
    `SolusIO user ${shown(field(user, "id"))}`,
    `billing user ${shown(field(user, "billing_user_id"))}`,
    `plan ${shown(field(field(raw, "plan"), "id"))}`,
  ].join(", ");
}

/**
 * Usage source (a): SolusIO's usage endpoint at `path`, every page until meta.last_page (solusio-api.md §1,
 * §9), page by page as billing reads it. An answer that does not validate stops the run: billing from
 * half-understood usage is worse than not billing.
 */
export async function* listSolusioUsage(
  reader: JsonReader,
  period: UsagePeriod,
  path: string,
): AsyncGenerator<UsageRecord> {
  let total: number | undefined;
  const pages = followPages(
    reader,
    path,
    (page) => usageQuery(period, page),
    SolusioUsagePage,
    (page, error) => invalid(path, page, error.issues[0]?.message ?? "invalid"),
  );
  for await (const { page, answer } of pages) {
    const { data, meta } = answer;
    // Offset pages of a list that changes while it is read would skip or repeat servers.
    if (total !== undefined && meta?.total !== undefined && meta.total !== total) {
      // Staff may read it whole: the totals are numbers (zod), no text of SolusIO's.
      throw ServiceError.unavailable(
        `SolusIO usage changed while it was read (total ${total} then ${meta.total}); run again`,
        "staff",
      );
    }
    total = meta?.total ?? total;
    for (const [i, raw] of data.entries()) {
      const item = SolusioUsageItem.safeParse(raw);
      if (!item.success) throw invalid(path, page, `${describeItemIssue(i, item.error)} (${whoseItem(raw)})`);
      if (
        instantMs(item.data.period_start) !== period.start.getTime() ||
        instantMs(item.data.period_end) !== period.end.getTime()
      ) {
        throw invalid(path, page, `data[${i}] is for another period than the one asked for`);
      }
      yield mapUsageItem(item.data);
    }
  }
}
