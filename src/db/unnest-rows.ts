import { type RawBuilder, sql } from "kysely";

/** A column of a bulk insert: its name, its SQL type, and how to read it from a row (null stays null). */
export interface UnnestColumn<R> {
  name: string;
  type: string;
  value(row: R): string | number | bigint | boolean | null;
}

/**
 * Many rows in one statement with one parameter: the rows as one JSON array of objects, read by
 * `json_to_recordset` as text and cast to each column's type. PostgreSQL plans it in constant time (a
 * multi-row VALUES list costs planning per value and is capped at 65,535 parameters), and the process pays
 * one pass over the values instead of escaping every value of one array per column (node-postgres' array
 * serializer was a tenth of a billing run's CPU). Every value is read as text and cast (bigints sent as JSON
 * numbers of their digits, instants as ISO strings, JSON kept as its text), the same on PGlite and PostgreSQL.
 *
 * Each object is keyed by the column's position ("0", "1", …), not its name: a key is written once a value,
 * and names (up to 24 characters) made up most of the text, which the process builds, measures and copies
 * and PostgreSQL parses. A usage page of 2,000 rows: 957 KB with names, 587 KB with positions.
 */
export function unnestRows<R>(columns: readonly UnnestColumn<R>[], rows: readonly R[]): RawBuilder<unknown> {
  const casts = sql.raw(columns.map((c, i) => `"${i}"::${c.type} AS "${c.name}"`).join(", "));
  const record = sql.raw(columns.map((_, i) => `"${i}" text`).join(", "));
  return sql`SELECT ${casts} FROM json_to_recordset(${rowsJson(columns, rows)}::json) AS r (${record})`;
}

/**
 * The rows as the JSON text of an array of objects keyed by column position: what JSON.stringify gives for
 * them (a bigint as a JSON number of its digits, which JSON.stringify refuses), written straight from the
 * values: a number needs no escaping, where a string of digits went through JSON.stringify. A run builds this for millions of rows; an object per row (with
 * some twenty keys, which V8 keeps in a slow dictionary) cost more than the text itself, and its garbage.
 */
export function rowsJson<R>(columns: readonly UnnestColumn<R>[], rows: readonly R[]): string {
  const keys = columns.map((_, i) => `${i === 0 ? "{" : ","}"${i}":`);
  let text = "[";
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (r > 0) text += ",";
    for (let i = 0; i < columns.length; i++) text += keys[i]! + jsonValue(columns[i]!.value(row));
    text += columns.length === 0 ? "{}" : "}";
  }
  return `${text}]`;
}

function jsonValue(value: string | number | bigint | boolean | null): string {
  if (typeof value === "string") return JSON.stringify(value);
  // A JSON number of any size: json_to_recordset hands its digits over as text, so nothing is lost to a double.
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  return value === null ? "null" : String(value);
}

/** The column list of an INSERT matching `unnestRows` with the same columns. */
export function columnList<R>(columns: readonly UnnestColumn<R>[]): RawBuilder<unknown> {
  return sql.raw(columns.map((c) => c.name).join(", "));
}
