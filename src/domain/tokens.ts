import { ServiceError } from "../kernel/errors.ts";

// Tokens are non-negative integers (billing-rules §1); a fractional plan price is an error, never rounded.
// The ceiling is PostgreSQL's bigint, where token counts are stored.
export const MAX_TOKENS = 2n ** 63n - 1n;

const DIGITS = /^\d+$/;

function describe(input: unknown): string {
  if (typeof input === "string") return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (typeof input === "number" || typeof input === "bigint" || typeof input === "boolean")
    return String(input);
  return input === null ? "null" : typeof input;
}

function notWhole(field: string, input: unknown): ServiceError {
  return ServiceError.validation(
    field,
    `must be a whole number of tokens (got ${describe(input)}); tokens are integers in SolusIO`,
  );
}

function checkRange(value: bigint, field: string, input: unknown): bigint {
  if (value < 0n) throw ServiceError.validation(field, `must not be negative (got ${describe(input)})`);
  if (value > MAX_TOKENS) throw ServiceError.validation(field, `must be at most ${MAX_TOKENS} tokens`);
  return value;
}

/** Accepts a bigint, a safe-integer number or a string of digits; anything else is a validation error. */
export function parseTokens(input: unknown, field = "tokens"): bigint {
  if (typeof input === "bigint") return checkRange(input, field, input);
  if (typeof input === "number") {
    if (Number.isSafeInteger(input)) return checkRange(BigInt(input), field, input);
    // Beyond 2^53 a JSON number has already lost digits; the exact value must come as a string.
    if (Number.isInteger(input)) {
      throw ServiceError.validation(field, `is too large to be exact as a JSON number; send it as a string`);
    }
    throw notWhole(field, input);
  }
  if (typeof input === "string") {
    if (DIGITS.test(input)) return checkRange(BigInt(input), field, input);
    if (/^-\d+$/.test(input))
      throw ServiceError.validation(field, `must not be negative (got ${describe(input)})`);
    throw notWhole(field, input);
  }
  throw notWhole(field, input);
}

/** "7,14,21,28" → [7n, 14n, 21n, 28n], for CLI arguments; spaces around items are allowed. */
export function parseTokenList(input: string, field = "tokens"): bigint[] {
  const parts = input.split(",").map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") {
    throw ServiceError.validation(field, "must list at least one token count, e.g. 7,14,21,28");
  }
  return parts.map((p, i) => {
    if (p === "")
      throw ServiceError.validation(field, `item ${i + 1} is empty (got ${JSON.stringify(input)})`);
    return parseTokens(p, field);
  });
}
