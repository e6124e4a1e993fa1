import { z } from "zod";
import { Decimal } from "../domain/decimal.ts";

// Field schemas shared by the resource services. The same zod objects validate HTTP input and generate
// the OpenAPI document, so the document can never drift from what the routes accept.

/** An exact decimal, given as a JSON string ("0.00091") or a plain JSON number; kept as a canonical string. */
export const decimalString = (opts: { maxScale: number; min?: string; max?: string; positive?: boolean }) =>
  z
    .union([z.string(), z.number()])
    .transform((value, zctx) => {
      let d: Decimal;
      try {
        d = Decimal.parse(value);
      } catch {
        zctx.addIssue({ code: "custom", message: "must be a decimal number such as 0.95 (no exponent)" });
        return z.NEVER;
      }
      if (d.normalize().scale > opts.maxScale) {
        zctx.addIssue({ code: "custom", message: `must have at most ${opts.maxScale} decimal places` });
        return z.NEVER;
      }
      if (opts.positive && d.sign() <= 0) {
        zctx.addIssue({ code: "custom", message: "must be greater than 0" });
        return z.NEVER;
      }
      if (opts.min !== undefined && d.lt(Decimal.parse(opts.min))) {
        zctx.addIssue({ code: "custom", message: `must be at least ${opts.min}` });
        return z.NEVER;
      }
      if (opts.max !== undefined && d.gt(Decimal.parse(opts.max))) {
        zctx.addIssue({ code: "custom", message: `must be at most ${opts.max}` });
        return z.NEVER;
      }
      return d.normalize().toString();
    })
    .meta({ description: "exact decimal as a string (a JSON number is accepted on input)", example: "0.95" });

/**
 * A whole number written plainly: a JSON integer, or decimal digits in a path or query string. Forms that
 * JavaScript's own conversions also accept ("0x10", "1e3", " 5", "") are refused, and so are leading zeros
 * ("06"), so one id has one spelling, as GetTokenPricing's userid has.
 */
export function wholeNumber(opts: { min: bigint; max: bigint; message: string }) {
  // A bigint is this schema's own output: verbs parse input that an adapter may have parsed already.
  return z.union([z.string().max(19), z.number().int(), z.bigint()]).transform((value, zctx) => {
    const text = typeof value === "string" ? value : String(value);
    const parsed = /^(?:0|[1-9][0-9]{0,18})$/.test(text) ? BigInt(text) : undefined;
    if (parsed === undefined || parsed < opts.min || parsed > opts.max) {
      zctx.addIssue({ code: "custom", message: opts.message });
      return z.NEVER;
    }
    return parsed;
  });
}

export const id = wholeNumber({
  min: 1n,
  max: 2n ** 63n - 1n,
  message: "must be a positive whole number",
}).meta({
  type: "integer",
});

export const countryCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as DE"));

export const currencyCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"));

export const IdParams = z.object({ id });
export type IdParams = z.output<typeof IdParams>;

/** Converts a database row id to the integer clients see (ids stay far below 2^53). */
export function idOut(value: bigint): number {
  return Number(value);
}

export function nullableIdOut(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}
