import { type Kysely, type RawBuilder, type Selectable, sql } from "kysely";
import type { Database, ServerEventTable, ServerSegmentTable, ServerSnapshotTable } from "../../db/schema.ts";
import type { PlanRates } from "../../domain/server-usage.ts";
import { type FirstSighting, historyFromEvents } from "./event-history.ts";
import { planRatesOf, usageRecordsOf } from "./history-usage.ts";
import { type PlanPriceChange, planPriceChanges } from "./plan-price-changes.ts";
import { historyFromSegments } from "./segment-history.ts";
import { lastPollAt } from "./poll-servers.ts";
import type { UsageNote, UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";

const PAGE = 5000;

/**
 * The conditions under which a server may be one customer's: `sighted` on server_snapshot (its billing user,
 * or the SolusIO user it was seen with), `created` on a server_event creation (the SolusIO user named).
 */
interface CustomerServers {
  sighted: RawBuilder<unknown>;
  created: RawBuilder<unknown>;
}

/** Which recorded history a rebuilt source reads: snapshots (b), the activity log (c), or both. */
export type RebuiltSourceName = "snapshots" | "activity" | "snapshots+activity";

/**
 * Usage sources (b) and (c): hours and tokens computed by tokenbill (billing-rules §2, §2.2) from what it
 * recorded of SolusIO, one record per server and plan.
 * - snapshots (b): a gone server is billed until its last sighting (every hour that started by then surely
 *   existed), so the error is at most one poll interval and never an hour the server did not have; a change
 *   counts from the sighting that saw it. A server still listed is running. Its owner is the last sighting's.
 * - activity (c): a server whose creation is in the activity log is rebuilt from the log, exact to the
 *   instant of each create, resize, IP change, backup switch and delete; it also catches servers that lived
 *   less than one poll interval and were never listed.
 * - both: the log where it knows the server's creation, the snapshots for the servers older than the log.
 */
export class SnapshotUsageSource implements UsageSource {
  readonly name: RebuiltSourceName;

  /** unpriced_usage notes found while reading a period's usage, for notes() (keyed by periodKey). */
  private readonly unpriced = new Map<string, UsageNote[]>();

  constructor(
    private readonly db: Kysely<Database>,
    name: RebuiltSourceName = "snapshots",
  ) {
    this.name = name;
  }

  private get useSnapshots(): boolean {
    return this.name !== "activity";
  }

  private get useEvents(): boolean {
    return this.name !== "snapshots";
  }

  async *fetchUsage(period: UsagePeriod): AsyncIterable<UsageRecord> {
    const mine = await this.customerServers(period.billingUserId);
    const prices = this.useEvents ? await planPriceChanges(this.db) : new Map<number, PlanPriceChange[]>();
    const unpriced: UsageNote[] = [];
    this.unpriced.set(periodKey(period), unpriced);
    let after = 0n;
    for (;;) {
      const ids = await this.serverIds(period, after, mine);
      if (ids.length === 0) return;
      const [snapshots, segments, events] = await Promise.all([
        this.snapshotsOf(ids),
        // Read for (c) too, when there are any: they price a plan and tell backups at creation the log may not.
        this.segmentsOf(ids),
        this.useEvents ? this.eventsOf(ids) : new Map<bigint, Selectable<ServerEventTable>[]>(),
      ]);
      const owners = await this.customersOf(events);
      for (const id of ids) {
        const snapshot = snapshots.get(id);
        const serverSegments = segments.get(id) ?? [];
        const logged = this.useEvents
          ? historyFromEvents(
              events.get(id) ?? [],
              (planId) => planFromSegments(serverSegments, planId),
              firstSightingOf(serverSegments),
              (planId) => prices.get(planId) ?? [],
            )
          : null;
        // A plan priced nowhere: the snapshots, when they know the server, bill it whole instead.
        const snapshotsInstead =
          logged !== null && logged.unpricedPlanIds.length > 0 && snapshot && this.useSnapshots;
        if (logged && !snapshotsInstead) {
          const solusioUserId = snapshot?.solusio_user_id ?? logged.solusioUserId;
          const who = {
            server: {
              id: Number(id),
              uuid: snapshot?.uuid ?? logged.server.uuid,
              name: snapshot?.name ?? logged.server.name,
            },
            billingUserId:
              snapshot?.billing_user_id ??
              (solusioUserId === null ? null : (owners.get(BigInt(solusioUserId)) ?? null)),
            solusioUserId: solusioUserId === null ? null : Number(solusioUserId),
          };
          for (const record of usageRecordsOf(who, logged.history, period)) {
            if (record.plan.id !== null && logged.unpricedPlanIds.includes(record.plan.id))
              unpriced.push(unpricedNote(record));
            else yield record;
          }
        } else if (snapshot && this.useSnapshots) {
          const who = {
            server: { id: Number(id), uuid: snapshot.uuid, name: snapshot.name },
            billingUserId: snapshot.billing_user_id,
            solusioUserId: snapshot.solusio_user_id === null ? null : Number(snapshot.solusio_user_id),
          };
          yield* usageRecordsOf(who, historyFromSegments(snapshot, serverSegments), period);
        }
      }
      if (ids.length < PAGE) return;
      after = ids.at(-1) ?? after;
    }
  }

  /**
   * The conditions that narrow the server lists to one customer's (the portal's estimate), or none. A server
   * is a customer's by its sighting's billing user, else by the SolusIO user its sighting or its creation in
   * the log names (fetchUsage): the lists keep every server any of them points at the customer, a superset
   * the caller filters, each found through its own index (migration 019).
   */
  private async customerServers(customerId: bigint | undefined): Promise<CustomerServers | undefined> {
    if (customerId === undefined) return undefined;
    const customer = await this.db
      .selectFrom("customer")
      .select("solusio_user_id")
      .where("id", "=", customerId)
      .executeTakeFirst();
    const solusioUserId = customer?.solusio_user_id ?? null;
    const sighted =
      solusioUserId === null
        ? sql`billing_user_id = ${customerId}`
        : sql`(billing_user_id = ${customerId} OR solusio_user_id = ${solusioUserId})`;
    const created = solusioUserId === null ? sql`false` : sql`data->>'user_id' = ${String(solusioUserId)}`;
    return { sighted, created };
  }

  /** The next page of servers that may have hours in the period, from the recorded histories in use. */
  private async serverIds(
    period: UsagePeriod,
    after: bigint,
    mine: CustomerServers | undefined,
  ): Promise<bigint[]> {
    const listed = sql`SELECT server_id FROM server_snapshot WHERE server_id > ${after}
      AND created_at < ${period.end} AND (gone_at IS NULL OR last_seen_at >= ${period.start})
      ${mine ? sql`AND ${mine.sighted}` : sql``}`;
    // A creation before the period's end: whether the server still had hours in it is the domain's to say.
    const created = sql`SELECT server_id FROM server_event WHERE server_id > ${after}
      AND event = 'compute_resource_vm_created' AND at < ${period.end}`;
    // One customer's: two queries, not one with OR, so that each is found through its own index.
    const logged = mine
      ? sql`${created} AND ${mine.created}
          UNION ${created} AND server_id IN (SELECT server_id FROM server_snapshot WHERE ${mine.sighted})`
      : created;
    const union =
      this.name === "snapshots" ? listed : this.name === "activity" ? logged : sql`${listed} UNION ${logged}`;
    const { rows } = await sql<{ server_id: bigint }>`SELECT DISTINCT server_id FROM (${union}) ids
      ORDER BY server_id LIMIT ${PAGE}`.execute(this.db);
    return rows.map((r) => BigInt(r.server_id));
  }

  private async snapshotsOf(ids: bigint[]): Promise<Map<bigint, Selectable<ServerSnapshotTable>>> {
    const rows = await this.db
      .selectFrom("server_snapshot")
      .selectAll()
      .where("server_id", "in", ids)
      .execute();
    return new Map(rows.map((r) => [r.server_id, r]));
  }

  private async eventsOf(ids: bigint[]): Promise<Map<bigint, Selectable<ServerEventTable>[]>> {
    const rows = await this.db
      .selectFrom("server_event")
      .selectAll()
      .where("server_id", "in", ids)
      .orderBy("server_id")
      .orderBy("at")
      .orderBy("id")
      .execute();
    return groupBy(rows, (r) => r.server_id);
  }

  /** Customers by SolusIO user id, for servers only the log knows (it names SolusIO's user, not ours). */
  private async customersOf(
    events: Map<bigint, Selectable<ServerEventTable>[]>,
  ): Promise<Map<bigint, bigint>> {
    const users = new Set<bigint>();
    for (const list of events.values()) {
      for (const e of list) {
        const userId = (e.data as { user_id?: unknown } | null)?.user_id;
        if (typeof userId === "number") users.add(BigInt(userId));
      }
    }
    if (users.size === 0) return new Map();
    const rows = await this.db
      .selectFrom("customer")
      .select(["id", "solusio_user_id"])
      .where("solusio_user_id", "in", [...users])
      .execute();
    return new Map(
      rows.flatMap((r) => (r.solusio_user_id === null ? [] : [[r.solusio_user_id, r.id] as const])),
    );
  }

  /** The segments of a page of servers, in order, by server. */
  private async segmentsOf(ids: bigint[]): Promise<Map<bigint, Selectable<ServerSegmentTable>[]>> {
    const rows = await this.db
      .selectFrom("server_segment")
      .selectAll()
      .where("server_id", "in", ids)
      .orderBy("server_id")
      .orderBy("seq")
      .execute();
    return groupBy(rows, (r) => r.server_id);
  }

  async notes(period: UsagePeriod): Promise<UsageNote[]> {
    const notes: UsageNote[] = [...(this.unpriced.get(periodKey(period)) ?? [])];
    this.unpriced.delete(periodKey(period));
    if (this.useEvents) {
      const logged = await this.db.selectFrom("server_event").select("id").limit(1).executeTakeFirst();
      if (!logged) {
        notes.push({
          kind: "activity_empty",
          message: "no entry of SolusIO's activity log has been recorded: activity usage is empty",
          details: {},
        });
      }
    }
    if (this.useSnapshots) notes.push(...(await this.snapshotNotes(period)));
    return notes;
  }

  private async snapshotNotes(period: UsagePeriod): Promise<UsageNote[]> {
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

function periodKey(period: UsagePeriod): string {
  return `${period.start.toISOString()}/${period.end.toISOString()}/${period.billingUserId ?? ""}`;
}

/** A server's hours on a plan whose prices are unknown: not billed, so said (billing-rules §5: never silently). */
function unpricedNote(record: UsageRecord): UsageNote {
  return {
    kind: "unpriced_usage",
    serverId: record.server.id,
    billingUserId: record.billingUserId,
    message: `server ${record.server.id} (${record.server.name}) ran ${record.hours} h on plan ${record.plan.id}, whose prices are unknown (the plan was deleted in SolusIO before its activity log was read): these hours are not billed`,
    details: {
      server_id: record.server.id,
      server_uuid: record.server.uuid,
      billing_user_id: record.billingUserId?.toString() ?? null,
      solusio_user_id: record.solusioUserId,
      plan_id: record.plan.id,
      hours: record.hours.toString(),
      additional_ip_hours: record.additionalIps.hours.toString(),
      backup_hours: record.backups?.hours.toString() ?? "0",
    },
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => bigint): Map<bigint, T[]> {
  const groups = new Map<bigint, T[]>();
  for (const row of rows) {
    const list = groups.get(key(row));
    if (list) list.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

function firstSightingOf(segments: readonly Selectable<ServerSegmentTable>[]): FirstSighting | null {
  const first = segments[0];
  return first ? { at: first.started_at, backupsEnabled: first.backups_enabled } : null;
}

/** A plan's prices as the snapshots saw them, for a logged change whose prices were not recorded. */
function planFromSegments(
  segments: readonly Selectable<ServerSegmentTable>[],
  planId: number,
): PlanRates | null {
  const seen = [...segments].reverse().find((s) => s.plan_id !== null && Number(s.plan_id) === planId);
  return seen ? planRatesOf(seen) : null;
}
