import { type RawBuilder, sql } from "kysely";

/** A column of a bulk insert: its name, its SQL type, and how to read it from a row (null stays null). */
export interface UnnestColumn<R> {
  name: string;
  type: string;
  value(row: R): string | number | boolean | null;
}

/**
 * Many rows in one statement with one parameter: the rows as one JSON array of objects, read by
 * `json_to_recordset` as text and cast to each column's type. PostgreSQL plans it in constant time (a
 * multi-row VALUES list costs planning per value and is capped at 65,535 parameters), and the process pays
 * one native JSON.stringify instead of escaping every value of one array per column (node-postgres'
 * array serializer was a tenth of a billing run's CPU). Values travel as text (bigints and instants as
 * strings, JSON kept as its text), which both PGlite and node-postgres pass through unchanged.
 */
export function unnestRows<R>(columns: readonly UnnestColumn<R>[], rows: readonly R[]): RawBuilder<unknown> {
  const objects = rows.map((row) => {
    const o: Record<string, string | number | boolean | null> = {};
    for (const c of columns) o[c.name] = c.value(row);
    return o;
  });
  const casts = sql.raw(columns.map((c) => `"${c.name}"::${c.type} AS "${c.name}"`).join(", "));
  const record = sql.raw(columns.map((c) => `"${c.name}" text`).join(", "));
  return sql`SELECT ${casts} FROM json_to_recordset(${JSON.stringify(objects)}::json) AS r (${record})`;
}

/** The column list of an INSERT matching `unnestRows` with the same columns. */
export function columnList<R>(columns: readonly UnnestColumn<R>[]): RawBuilder<unknown> {
  return sql.raw(columns.map((c) => c.name).join(", "));
}
