import { type RawBuilder, sql } from "kysely";

/** A column of a bulk insert: its name, its SQL type, and how to read it from a row (null stays null). */
export interface UnnestColumn<R> {
  name: string;
  type: string;
  value(row: R): string | number | bigint | boolean | null;
}

/**
 * Many rows in one statement with one parameter: the rows as one JSON array of arrays (a row's values in its
 * columns' order), read by `jsonb_array_elements` and cast from each value's text to its column's type.
 * PostgreSQL plans it in constant time (a multi-row VALUES list costs planning per value and is capped at
 * 65,535 parameters), and the process pays one pass over the values instead of escaping every value of one
 * array per column (node-postgres' array serializer was a tenth of a billing run's CPU). Every value is read as
 * text and cast (bigints sent as JSON numbers, or strings of their digits beyond 2^53; instants as ISO strings,
 * JSON kept as its text), the same on PGlite and PostgreSQL.
 *
 * Arrays, not objects keyed by column name: the names (up to 24 characters) were written once a value and
 * made up most of the text, which the process builds, measures and copies and PostgreSQL parses (a usage
 * page of 2,000 rows: 957 KB as objects, 331 KB as arrays). `jsonb`, not `json`: `->> n` finds the n-th
 * element of a jsonb array directly, where it scans a json array's text from its start for every value.
 */
export function unnestRows<R>(columns: readonly UnnestColumn<R>[], rows: readonly R[]): RawBuilder<unknown> {
  const casts = sql.raw(columns.map((c, i) => `(r.e->>${i})::${c.type} AS "${c.name}"`).join(", "));
  return sql`SELECT ${casts} FROM jsonb_array_elements(${rowsJson(columns, rows)}::jsonb) AS r (e)`;
}

/**
 * The rows as the JSON text of an array of arrays, each row's values in its columns' order. A bigint goes as a
 * JSON number while a double holds it exactly, else as a string of its digits (JSON.stringify refuses bigints,
 * and `->>` gives the digits either way). Built by JSON.stringify, which writes the text in one pass: a text
 * assembled value by value (as before) left V8 a concatenated string of some hundred pieces a row, and
 * its garbage.
 */
export function rowsJson<R>(columns: readonly UnnestColumn<R>[], rows: readonly R[]): string {
  const values = new Array<unknown[]>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const value = new Array<unknown>(columns.length);
    for (let i = 0; i < columns.length; i++) value[i] = jsonValue(columns[i]!.value(row));
    values[r] = value;
  }
  return JSON.stringify(values);
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function jsonValue(value: string | number | bigint | boolean | null): string | number | boolean | null {
  if (typeof value !== "bigint") return value;
  return value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value.toString();
}

/** The column list of an INSERT matching `unnestRows` with the same columns. */
export function columnList<R>(columns: readonly UnnestColumn<R>[]): RawBuilder<unknown> {
  return sql.raw(columns.map((c) => c.name).join(", "));
}
