import type { Kysely } from "kysely";
import { billableHoursInPeriod, chargeAdditionalIps, chargeForPeriod } from "../../domain/charges.ts";
import type { Database } from "../../db/schema.ts";
import { lastPollAt } from "./poll-servers.ts";
import type { UsageNote, UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";

const PAGE = 5000;

/**
 * Usage source (b): hours and tokens computed by tokenbill (billing-rules §2) from the recorded polls.
 * A gone server is billed until its last sighting (every hour that started by then surely existed), so
 * the error is at most one poll interval and never an hour the server did not have. A server still listed
 * is running. The plan is the one of the last sighting.
 */
export class SnapshotUsageSource implements UsageSource {
  readonly name = "snapshots";

  constructor(private readonly db: Kysely<Database>) {}

  async *fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord> {
    let after = 0n;
    for (;;) {
      const rows = await this.db
        .selectFrom("server_snapshot")
        .selectAll()
        .where("server_id", ">", after)
        .where("created_at", "<", period.end)
        .where((eb) => eb.or([eb("gone_at", "is", null), eb("last_seen_at", ">=", period.start)]))
        .orderBy("server_id")
        .limit(PAGE)
        .execute();
      for (const row of rows) {
        const deletedAt = row.gone_at === null ? null : new Date(row.last_seen_at.getTime() + 1);
        const hours = billableHoursInPeriod({
          createdAt: row.created_at,
          deletedAt,
          periodStart: period.start,
          periodEnd: period.end,
        });
        if (hours === 0n) continue;
        const charge = chargeForPeriod({
          tokensPerHour: row.tokens_per_hour,
          tokensPerMonth: row.tokens_per_month,
          hours,
        });
        const count = BigInt(row.additional_ips);
        const ips = chargeAdditionalIps({
          ipTokensPerHour: row.ip_tokens_per_hour,
          ipTokensPerMonth: row.ip_tokens_per_month,
          hours,
          count,
        });
        yield {
          billingUserId: row.billing_user_id,
          solusioUserId: row.solusio_user_id === null ? null : Number(row.solusio_user_id),
          server: { id: Number(row.server_id), uuid: row.uuid, name: row.name },
          plan: {
            id: row.plan_id === null ? null : Number(row.plan_id),
            name: row.plan_name,
            tokensPerHour: row.tokens_per_hour,
            tokensPerMonth: row.tokens_per_month,
            ipTokensPerHour: row.ip_tokens_per_hour,
            ipTokensPerMonth: row.ip_tokens_per_month,
          },
          createdAt: row.created_at,
          deletedAt,
          hours,
          tokens: charge.tokens,
          charge: charge.kind,
          additionalIps: { count, hours, tokens: ips.tokens, charge: ips.kind },
          reportedBySolusio: false,
        };
      }
      const last = rows.at(-1);
      if (rows.length < PAGE || last === undefined) return;
      after = last.server_id;
    }
  }

  async notes(period: UsagePeriod): Promise<UsageNote[]> {
    const at = await lastPollAt(this.db);
    if (at !== null && at >= period.end) return [];
    return [
      {
        kind: "snapshot_stale",
        message:
          at === null
            ? "no poll of SolusIO's servers has been recorded: snapshot usage is empty"
            : `the last poll of SolusIO's servers (${at.toISOString()}) is before the period's end: servers deleted since are billed as running, servers created since are missing`,
        details: { last_poll_at: at?.toISOString() ?? null, period_end: period.end.toISOString() },
      },
    ];
  }
}
