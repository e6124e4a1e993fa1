import type { Kysely, Selectable } from "kysely";
import type { Database } from "../db/schema.ts";
import { ServiceError } from "../kernel/errors.ts";
import { recordAudit } from "../kernel/audit.ts";
import type { ServiceContext, Tx } from "../kernel/context.ts";
import { mapDbError } from "../kernel/db-errors.ts";
import { type Page, type PageQuery, fetchPage } from "../kernel/pagination.ts";
import { withTransaction } from "../kernel/transaction.ts";

// The verbs every plain admin resource shares — create, get, list, update, delete — over a table with a
// bigserial `id` and `created_at`/`updated_at`: one transaction per change holding its audit row, 404s that
// name the record, constraint violations as 4xx. Resources add their own checks through the hooks.

type IdTable = "client_group" | "plan_price" | "discount";
type Row<T extends IdTable> = Selectable<Database[T]>;
type Check = (trx: Tx) => Promise<void>;

export function auditedTable<T extends IdTable, O>(options: {
  table: T;
  /** Words for messages: "client group". */
  label: string;
  present(row: Row<T>): O;
}) {
  const { table, label, present } = options;
  // Kysely cannot type a query over a table chosen by a type parameter; the row types above keep callers typed.
  const q = (db: Tx) => db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const name: string = table;

  async function load(db: Tx, id: bigint, lock: boolean): Promise<Row<T>> {
    let query = q(db).selectFrom(name).selectAll().where("id", "=", id);
    if (lock) query = query.forUpdate();
    const row = (await query.executeTakeFirst()) as Row<T> | undefined;
    if (!row) throw ServiceError.notFound(`${label} ${id}`);
    return row;
  }

  return {
    async create(ctx: ServiceContext, values: Record<string, unknown>, check?: Check): Promise<O> {
      return withTransaction(ctx, async (tx) => {
        const trx = tx.db;
        await check?.(trx);
        const now = ctx.now();
        const row = (await q(trx)
          .insertInto(name)
          .values({ ...values, created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow()
          .catch((e) => mapDbError(e, label))) as Row<T>;
        const after = present(row);
        const entityId = String((row as { id: bigint }).id);
        await recordAudit(trx, ctx, { action: "create", entity: table, entityId, before: null, after });
        return after;
      });
    },

    async get(ctx: ServiceContext, id: bigint): Promise<O> {
      return present(await load(ctx.db, id, false));
    },

    async list(
      ctx: ServiceContext,
      input: PageQuery,
      where: Record<string, bigint | undefined> = {},
    ): Promise<Page<O>> {
      let query = q(ctx.db).selectFrom(name);
      for (const [column, value] of Object.entries(where))
        if (value !== undefined) query = query.where(column, "=", value);
      return fetchPage(
        query,
        input,
        (f) => f.selectAll().orderBy("id"),
        (row) => present(row as Row<T>),
      );
    },

    async update(ctx: ServiceContext, id: bigint, patch: Record<string, unknown>, check?: Check): Promise<O> {
      return withTransaction(ctx, async (tx) => {
        const trx = tx.db;
        const before = await load(trx, id, true);
        await check?.(trx);
        const row = (await q(trx)
          .updateTable(name)
          .set({ ...patch, updated_at: ctx.now() })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow()
          .catch((e) => mapDbError(e, `${label} ${id}`))) as Row<T>;
        const after = present(row);
        await recordAudit(trx, ctx, {
          action: "update",
          entity: table,
          entityId: String(id),
          before: present(before),
          after,
        });
        return after;
      });
    },

    async remove(ctx: ServiceContext, id: bigint, check?: Check): Promise<void> {
      await withTransaction(ctx, async (tx) => {
        const trx = tx.db;
        const before = await load(trx, id, true);
        await check?.(trx);
        await q(trx)
          .deleteFrom(name)
          .where("id", "=", id)
          .execute()
          .catch((e) => mapDbError(e, `${name} ${id}`));
        await recordAudit(trx, ctx, {
          action: "delete",
          entity: table,
          entityId: String(id),
          before: present(before),
          after: null,
        });
      });
    },
  };
}
