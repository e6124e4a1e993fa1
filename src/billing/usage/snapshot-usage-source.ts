import type { Kysely, Selectable } from "kysely";
import type { Database, ServerSegmentTable } from "../../db/schema.ts";
import { usageRecordsOf } from "./history-usage.ts";
import { historyFromSegments } from "./segment-history.ts";
import { lastPollAt } from "./poll-servers.ts";
import type { UsageNote, UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";

const PAGE = 5000;

/**
 * Usage source (b): hours and tokens computed by tokenbill (billing-rules §2, §2.2) from the recorded
 * polls, one record per server and plan. A gone server is billed until its last sighting (every hour that
 * started by then surely existed), so the error is at most one poll interval and never an hour the server
 * did not have. A server still listed is running. Its owner is the one of the last sighting.
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
      const segments = await this.segmentsOf(rows.map((r) => r.server_id));
      for (const row of rows) {
        const history = historyFromSegments(row, segments.get(row.server_id) ?? []);
        const who = {
          server: { id: Number(row.server_id), uuid: row.uuid, name: row.name },
          billingUserId: row.billing_user_id,
          solusioUserId: row.solusio_user_id === null ? null : Number(row.solusio_user_id),
        };
        yield* usageRecordsOf(who, history, period);
      }
      const last = rows.at(-1);
      if (rows.length < PAGE || last === undefined) return;
      after = last.server_id;
    }
  }

  /** The segments of a page of servers, in order, by server. */
  private async segmentsOf(ids: bigint[]): Promise<Map<bigint, Selectable<ServerSegmentTable>[]>> {
    const byServer = new Map<bigint, Selectable<ServerSegmentTable>[]>();
    if (ids.length === 0) return byServer;
    const rows = await this.db
      .selectFrom("server_segment")
      .selectAll()
      .where("server_id", "in", ids)
      .orderBy("server_id")
      .orderBy("seq")
      .execute();
    for (const row of rows) {
      const list = byServer.get(row.server_id);
      if (list) list.push(row);
      else byServer.set(row.server_id, [row]);
    }
    return byServer;
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
