/**
 * JSON text in which a bigint is a JSON number while it is exact (below 2^53) and a string beyond, so no
 * digit of an amount or id is ever lost: HTTP answers, jsonb columns and CLI output all write it this way.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v) => {
      if (typeof v !== "bigint") return v;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(v)
        : String(v);
    },
    indent,
  );
}

/** The HTTP reply serializer's name for jsonText. */
export const stringifyJson = (value: unknown): string => jsonText(value);
