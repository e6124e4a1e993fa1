/**
 * JSON text for jsonb columns and CLI output: a bigint becomes a JSON number while it is exact (below 2^53)
 * and a string beyond, so no digit of an amount is ever lost.
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
