import { type RawBuilder, sql } from "kysely";

/** A column of a bulk insert: its name, its SQL type, and how to read it from a row (null stays null). */
export interface UnnestColumn<R> {
  name: string;
  type: string;
  value(row: R): string | number | boolean | null;
}

/**
 * `SELECT * FROM unnest($1::type[], $2::type[], …)`: many rows in one statement with one parameter per
 * column. PostgreSQL plans it in constant time, where a multi-row VALUES list costs planning per value and
 * is capped at 65,535 parameters. Values travel as text (bigints and instants as strings), which both
 * PGlite and node-postgres pass through unchanged.
 */
export function unnestRows<R>(columns: readonly UnnestColumn<R>[], rows: readonly R[]): RawBuilder<unknown> {
  const arrays = columns.map((c) => sql`${rows.map((r) => c.value(r))}::${sql.raw(c.type)}[]`);
  return sql`SELECT * FROM unnest(${sql.join(arrays)})`;
}

/** The column list of an INSERT matching `unnestRows` with the same columns. */
export function columnList<R>(columns: readonly UnnestColumn<R>[]): RawBuilder<unknown> {
  return sql.raw(columns.map((c) => c.name).join(", "));
}
