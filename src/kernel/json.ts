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

/** A UTF-16 code unit beyond ASCII; a character beyond the BMP is two of them, each escaped on its own. */
const NON_ASCII = /[\u0080-\uffff]/g;

const escapeUnit = (unit: string) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * The same JSON text with every character beyond ASCII written as a `\uXXXX` escape: the same value to any
 * JSON parser, in bytes a socket takes as they are. GetTokenPricing's answers are built once and written
 * many times, and Node encodes a string with "£" or "€" to UTF-8 on every write (docs/performance.md).
 */
export function asciiJson(json: string): string {
  return json.replace(NON_ASCII, escapeUnit);
}
