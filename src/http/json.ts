/**
 * JSON.stringify that writes a bigint as a JSON number while it is exactly representable, and as a string
 * beyond 2^53 so that no digit is ever lost.
 */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v !== "bigint") return v;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  });
}
