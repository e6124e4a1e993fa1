import { type Insertable, sql } from "kysely";
import type { ServerSegmentTable } from "../../db/schema.ts";
import type { Tx, VerbArgs } from "../../kernel/context.ts";
import type { SolusioServer } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";
import { recordPlanPrices } from "./plan-price-changes.ts";
import { sameState, stateOf } from "./server-state.ts";

// Usage source (b), the recording half: one poll of GET servers (all pages, solusio-api.md §6, §9 (b)).
// A deleted server disappears from the list, so its lifetime is known to one poll interval; so is the
// instant of a resize, an IP change or a backup switch (the new segment starts at the first sighting).
// Each listed server carries its plan's current prices: a read of the plans like GET plans, so a change of
// them is recorded for usage source (c) too (plan-price-changes.ts), at the same instant as the sightings.

/** Where the poll reads GET servers: the context's SolusIO unless one is given (tests). */
export interface ServerPollInput {
  solusio?: Pick<SolusioApi, "listServers">;
}

export interface ServerPollResult {
  pollId: bigint;
  at: Date;
  servers: number;
  gone: number;
}

/**
 * Records one complete poll: every listed server is seen at SolusIO's time of the listing; a server whose
 * billing state changed since its last sighting starts a new segment there (§9 (b)); a server seen before
 * but not listed is gone since this poll; a plan whose prices differ from the last recorded ones is recorded
 * as changed then. Nothing is written unless every page was read, so a failed poll never marks servers gone.
 */
export async function pollServers({ ctx, input }: VerbArgs<ServerPollInput>): Promise<ServerPollResult> {
  const listing = await (input.solusio ?? configuredSolusioApi(ctx)).listServers();
  // SolusIO's clock when it sends one: created_at is on that clock, so the hours between them are right.
  // Without one, tokenbill's, of which the connection warns once (connect-solusio.ts).
  const at = listing.seenAt ?? ctx.now();
  const servers = listing.servers;
  // Machine data written at every poll: not audited (the audit log records what people and verbs change).
  return ctx.db.transaction().execute(async (trx) => {
    // One poll records at a time (the scheduled one, one by hand, another instance's): each then reads the
    // server book as the one before left it. Until 2026-12-07 two that saw a new server or a change at once
    // both started its segment, and the second failed on the first's (a 500 from POST /api/v1/server-polls).
    await sql`SELECT pg_advisory_xact_lock(${POLL_LOCK})`.execute(trx);
    for (let i = 0; i < servers.length; i += BATCH) {
      await recordSightings(trx, servers.slice(i, i + BATCH), at);
    }
    await recordPlanPrices(
      trx,
      servers.map((s) => s.plan),
      at,
      "read",
    );
    const gone = await trx
      .updateTable("server_snapshot")
      .set({ gone_at: at })
      .where("gone_at", "is", null)
      .where("last_seen_at", "<", at)
      .executeTakeFirst();
    const poll = await trx
      .insertInto("server_poll")
      .values({ started_at: at, finished_at: ctx.now(), servers: servers.length })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { pollId: poll.id, at, servers: servers.length, gone: Number(gone.numUpdatedRows) };
  });
}

const BATCH = 1000;
/** pg_advisory_xact_lock's key for recording a poll: a constant of our own (recorded-period-bounds.ts has another). */
const POLL_LOCK = 0x7b_b0_0e;

/** One batch of listed servers: a new segment where the state changed (or the server is new), then the snapshot. */
async function recordSightings(trx: Tx, batch: SolusioServer[], at: Date): Promise<void> {
  const known = new Map(
    (
      await trx
        .selectFrom("server_snapshot")
        .selectAll()
        .where(
          "server_id",
          "in",
          batch.map((s) => BigInt(s.id)),
        )
        .execute()
    ).map((row) => [row.server_id, row]),
  );
  const segments: Insertable<ServerSegmentTable>[] = [];
  // A listing older than a sighting already recorded (a poll that read SolusIO first but committed last) says
  // nothing new of that server: its state and last sighting stay the newer poll's.
  const newer = batch.filter((s) => {
    const seen = known.get(BigInt(s.id))?.last_seen_at;
    return seen === undefined || seen.getTime() <= at.getTime();
  });
  const snapshots = newer.map((s) => {
    const state = stateOf(s);
    const before = known.get(BigInt(s.id));
    let seq = before?.segment_seq ?? 0;
    if (before === undefined) {
      // First sighting: assume this state since the server's creation (all that is known of its past).
      segments.push({ server_id: BigInt(s.id), seq, started_at: s.created_at, ...state });
    } else if (!sameState(before, state)) {
      seq += 1;
      segments.push({ server_id: BigInt(s.id), seq, started_at: at, ...state });
    }
    return {
      server_id: BigInt(s.id),
      uuid: s.uuid,
      name: s.name,
      ...state,
      segment_seq: seq,
      created_at: s.created_at,
      first_seen_at: at,
      last_seen_at: at,
      gone_at: null,
    };
  });
  if (snapshots.length === 0) return;
  await trx
    .insertInto("server_snapshot")
    .values(snapshots)
    .onConflict((oc) =>
      oc.column("server_id").doUpdateSet((eb) => ({
        uuid: eb.ref("excluded.uuid"),
        name: eb.ref("excluded.name"),
        solusio_user_id: eb.ref("excluded.solusio_user_id"),
        billing_user_id: eb.ref("excluded.billing_user_id"),
        plan_id: eb.ref("excluded.plan_id"),
        plan_name: eb.ref("excluded.plan_name"),
        tokens_per_hour: eb.ref("excluded.tokens_per_hour"),
        tokens_per_month: eb.ref("excluded.tokens_per_month"),
        ip_tokens_per_hour: eb.ref("excluded.ip_tokens_per_hour"),
        ip_tokens_per_month: eb.ref("excluded.ip_tokens_per_month"),
        backup_percent: eb.ref("excluded.backup_percent"),
        backups_enabled: eb.ref("excluded.backups_enabled"),
        additional_ips: eb.ref("excluded.additional_ips"),
        segment_seq: eb.ref("excluded.segment_seq"),
        created_at: eb.ref("excluded.created_at"),
        last_seen_at: eb.ref("excluded.last_seen_at"),
        // Gone since a newer poll: this older sighting is its last one, and it stays gone.
        gone_at: sql<Date | null>`CASE WHEN server_snapshot.gone_at > excluded.last_seen_at THEN server_snapshot.gone_at END`,
      })),
    )
    .execute();
  if (segments.length > 0) await trx.insertInto("server_segment").values(segments).execute();
}

/** When the newest complete poll started, or null when there has been none. */
export async function lastPollAt(db: VerbArgs<unknown>["ctx"]["db"]): Promise<Date | null> {
  const row = await db
    .selectFrom("server_poll")
    .select(sql<Date>`max(started_at)`.as("at"))
    .executeTakeFirst();
  return row?.at ?? null;
}
