import { sql } from "kysely";
import type { VerbArgs } from "../../kernel/context.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";

// Usage source (b), the recording half: one poll of GET servers (all pages, solusio-api.md §6, §9 (b)).
// A deleted server disappears from the list, so its lifetime is known to one poll interval.

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
 * Records one complete poll: every listed server is seen now; a server seen before but not listed is gone
 * since this poll. Nothing is written unless every page was read, so a failed poll never marks servers gone.
 */
export async function pollServers({ ctx, input }: VerbArgs<ServerPollInput>): Promise<ServerPollResult> {
  const at = ctx.now();
  const servers = await (input.solusio ?? configuredSolusioApi(ctx)).listServers();
  const rows = servers.map((s) => ({
    server_id: BigInt(s.id),
    uuid: s.uuid,
    name: s.name,
    solusio_user_id: s.user ? BigInt(s.user.id) : null,
    billing_user_id: s.user?.billing_user_id ?? null,
    plan_id: s.plan.id === null ? null : BigInt(s.plan.id),
    plan_name: s.plan.name,
    tokens_per_hour: s.plan.tokens_per_hour,
    tokens_per_month: s.plan.tokens_per_month,
    ip_tokens_per_hour: s.plan.ip_tokens_per_hour,
    ip_tokens_per_month: s.plan.ip_tokens_per_month,
    additional_ips: (s.ip_addresses?.ipv4 ?? []).filter((ip) => ip.is_primary === false).length,
    created_at: s.created_at,
    first_seen_at: at,
    last_seen_at: at,
    gone_at: null,
  }));
  // Machine data written at every poll: not audited (the audit log records what people and verbs change).
  return ctx.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 1000) {
      await trx
        .insertInto("server_snapshot")
        .values(rows.slice(i, i + 1000))
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
            additional_ips: eb.ref("excluded.additional_ips"),
            created_at: eb.ref("excluded.created_at"),
            last_seen_at: eb.ref("excluded.last_seen_at"),
            gone_at: null,
          })),
        )
        .execute();
    }
    const gone = await trx
      .updateTable("server_snapshot")
      .set({ gone_at: at })
      .where("gone_at", "is", null)
      .where("last_seen_at", "<", at)
      .executeTakeFirst();
    const poll = await trx
      .insertInto("server_poll")
      .values({ started_at: at, finished_at: ctx.now(), servers: rows.length })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { pollId: poll.id, at, servers: rows.length, gone: Number(gone.numUpdatedRows) };
  });
}

/** When the newest complete poll started, or null when there has been none. */
export async function lastPollAt(db: VerbArgs<unknown>["ctx"]["db"]): Promise<Date | null> {
  const row = await db
    .selectFrom("server_poll")
    .select(sql<Date>`max(started_at)`.as("at"))
    .executeTakeFirst();
  return row?.at ?? null;
}
