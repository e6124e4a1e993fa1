import { CompiledQuery } from "kysely";
import type { Db } from "../../kernel/context.ts";

// The login limiter's counts on PostgreSQL (src/web/login-limiter.ts, table login_count of migration 036).

/**
 * The Postgres store's client (a pool's `query`) over tokenbill's own connections, through Kysely, so its
 * statements share the pool, its timeouts and its outage reports. int8 comes back as bigint here; the store
 * computes with numbers.
 */
export function loginCountClient(db: Db) {
  return {
    async query(query: { text: string; values?: unknown[] }) {
      const result = await db.executeQuery<{ points: number; expire: bigint | null }>(
        CompiledQuery.raw(query.text, query.values ?? []),
      );
      const rows = result.rows.map((row) => ({
        points: Number(row.points),
        expire: row.expire === null ? null : Number(row.expire),
      }));
      return { rows, rowCount: rows.length > 0 ? rows.length : Number(result.numAffectedRows ?? 0n) };
    },
  };
}
