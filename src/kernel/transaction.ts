import type { Transaction } from "kysely";
import type { Database } from "../db/schema.ts";
import type { ServiceContext } from "./context.ts";

/** A context whose database handle is an open transaction: verbs given one join it. */
export type TxContext = ServiceContext & { db: Transaction<Database> };

/**
 * Runs `fn` in a transaction: the caller's, when its context already holds one, else a new
 * one. So "record a payment, mark the invoice, enqueue its events, audit" is one transaction when a verb
 * calls the others with its own context, while each of them alone still commits by itself.
 */
export function withTransaction<T>(ctx: ServiceContext, fn: (tx: TxContext) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return fn(ctx as TxContext);
  return ctx.db.transaction().execute((trx) => fn({ ...ctx, db: trx }));
}
