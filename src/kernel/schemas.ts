import { z } from "zod";
import "./plain-zod-wording.ts";
import { Decimal } from "../domain/decimal.ts";
import { isPeriod, PERIOD_FORMAT } from "../domain/periods.ts";
import { digitsPattern } from "./digits-pattern.ts";

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
 * How the OpenAPI document says a whole number that a body may give as a JSON integer or as a string of its
 * digits (`.meta(digitsOrInteger(…))`): each form with the bounds it is taken within. A JSON integer beyond
 * 2^53 has lost digits before any schema sees it (zod's int() and parseTokens refuse it), so the integer form
 * stops there and the string goes on.
 */
export function digitsOrInteger(opts: {
  min: 0n | 1n;
  max: bigint;
  leadingZeros?: boolean;
  maxLength?: number;
}) {
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  return {
    anyOf: [
      { type: "integer", minimum: Number(opts.min), maximum: Number(opts.max < safe ? opts.max : safe) },
      {
        type: "string",
        pattern: digitsPattern(opts),
        ...(opts.maxLength === undefined ? {} : { maxLength: opts.maxLength }),
      },
    ],
  };
}

/**
 * A whole number written plainly: a JSON integer, or decimal digits in a path or query string. Forms that
 * JavaScript's own conversions also accept ("0x10", "1e3", " 5", "") are refused, and so are leading zeros
 * ("06"), so one id has one spelling, as GetTokenPricing's userid has.
 */
export function wholeNumber(opts: { min: bigint; max: bigint; message: string }) {
  // A bigint is this schema's own output: verbs parse input that an adapter may have parsed already. A value no
  // branch takes (null, true, 1.5, 40 digits) is told the same as a wrong spelling, and a missing one that it is
  // required: the union's own wording was "is not valid" for both (until 2026-12-05).
  const union = z.union(
    [z.string().max(19, { error: opts.message }), z.number().int({ error: opts.message }), z.bigint()],
    {
      error: (issue) => (issue.input === undefined ? "is required" : opts.message),
    },
  );
  return union.transform((value, zctx) => {
    const text = typeof value === "string" ? value : String(value);
    const parsed = /^(?:0|[1-9][0-9]{0,18})$/.test(text) ? BigInt(text) : undefined;
    if (parsed === undefined || parsed < opts.min || parsed > opts.max) {
      zctx.addIssue({ code: "custom", message: opts.message });
      return z.NEVER;
    }
    return parsed;
  });
}

export const MAX_ID = 2n ** 63n - 1n;

/**
 * What a bad id is told, in a path, a body or a list's filter alike: `what` names the row with its article ("a
 * customer"), or is "an" for an id that names no row of its own (a path's `:id`). Until 2026-12-06 paths and
 * bodies said "must be a positive whole number", without the bound, while filters said this.
 */
export function idWords(what: string): string {
  return `must be ${what} id: a whole number from 1 to ${MAX_ID} (at most 19 digits)`;
}

/**
 * A row's numeric id: in a path, digits; in a body, a JSON integer or a string of digits (as the schema takes
 * both), from 1 to 2^63 − 1, PostgreSQL's bigint. Before, the document said a bare integer: 0, which is
 * refused, was valid to a generated client and "7", which is taken, was not (until 2026-12-06).
 */
export const id = wholeNumber({ min: 1n, max: MAX_ID, message: idWords("an") }).meta(
  digitsOrInteger({ min: 1n, max: MAX_ID }),
);

/**
 * A list's filter by a row's id (`?customer_id=`, `?client_group_id=`): an id, told what it names and its bound,
 * since the console's list pages say it beside the field for whatever was typed or pasted there (a 2,000-digit
 * paste included). `what` is the row's name with its article: "a customer".
 */
export function idFilter(what: string) {
  return wholeNumber({ min: 1n, max: MAX_ID, message: idWords(what) }).meta(
    digitsOrInteger({ min: 1n, max: MAX_ID }),
  );
}

export const countryCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as DE"));

export const currencyCode = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"));

/**
 * The instants every date input may name: 0001-01-01 to 9999-12-31, in UTC. PostgreSQL refuses year 0 ("date/time
 * field value out of range": it counts 1 BC before 1 AD), and an instant whose offset carries it past either
 * end ("0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-02:00") leaves the four-digit years that both
 * JavaScript's ISO text and PostgreSQL read the same way. Checked here, so such a date is a 400 naming its
 * field and never reaches a timestamptz column as a 500.
 */
export const FIRST_STORABLE_DATE = "0001-01-01";
export const LAST_STORABLE_DATE = "9999-12-31";
const FIRST_STORABLE_MS = Date.parse(`${FIRST_STORABLE_DATE}T00:00:00.000Z`);
const LAST_STORABLE_MS = Date.parse(`${LAST_STORABLE_DATE}T23:59:59.999Z`);
const OUTSIDE_STORABLE = `must be between ${FIRST_STORABLE_DATE} and ${LAST_STORABLE_DATE} (UTC)`;

function storableInstant(at: Date, zctx: z.RefinementCtx): Date {
  const ms = at.getTime();
  if (Number.isNaN(ms) || ms < FIRST_STORABLE_MS || ms > LAST_STORABLE_MS) {
    zctx.addIssue({ code: "custom", message: OUTSIDE_STORABLE });
    return z.NEVER;
  }
  return at;
}

/**
 * An ISO 8601 instant with its offset ("2026-11-20T10:00:00Z", "…+01:00"), or (verbs re-parsing) a Date; a Date
 * within the storable years.
 */
export const isoInstant = z
  .union([
    z.iso.datetime({
      offset: true,
      error: "must be an ISO 8601 instant with its offset, e.g. 2026-11-20T10:00:00Z",
    }),
    z.date(),
  ])
  .transform((v, zctx) => storableInstant(v instanceof Date ? v : new Date(v), zctx));

/**
 * An instant given as ISO text or (verbs re-parsing what an adapter parsed) a Date, within the storable years;
 * or a calendar date ("2026-11-20"), kept as that text: the verb reads it as the day's first instant in
 * BILLING_TIME_ZONE (startOfDay), which no schema knows. Until 2026-12-06 a date was read as its midnight in
 * UTC, a day early on statements west of UTC.
 */
export const instantOrDate = z
  .union([z.iso.datetime({ offset: true }), z.iso.date(), z.date()], {
    error: "must be a date written YYYY-MM-DD (a day that exists) or an ISO 8601 instant with its offset",
  })
  .transform((v, zctx): Date | string => {
    if (typeof v === "string" && v.length === 10) {
      if (v >= FIRST_STORABLE_DATE) return v;
      zctx.addIssue({ code: "custom", message: OUTSIDE_STORABLE });
      return z.NEVER;
    }
    return storableInstant(v instanceof Date ? v : new Date(v), zctx);
  });

/** A calendar date that exists, written YYYY-MM-DD: 2026-02-30 and year 0000 are refused. */
export const calendarDateString = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD")
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, "is not a calendar date")
  // Stored as text (migration 004), compared as text and read as dates: year 0 is none of PostgreSQL's.
  .refine((s) => s >= FIRST_STORABLE_DATE, OUTSIDE_STORABLE);

/** A billing period, a month written YYYY-MM as billing runs read it (src/domain/periods.ts): not 2026-13. */
// The bound's message is the format too: "October 2026" was told "must be at most 7 characters". The bound
// aborts, so an over-long month is told the format once, not once by the bound and again by the check.
export const periodString = z
  .string()
  .max(7, { message: PERIOD_FORMAT, abort: true })
  .refine(isPeriod, PERIOD_FORMAT)
  .meta({ example: "2026-10" });

export const IdParams = z.object({ id });
export type IdParams = z.output<typeof IdParams>;

/** Converts a database row id to the integer clients see (ids stay far below 2^53). */
export function idOut(value: bigint): number {
  return Number(value);
}

export function nullableIdOut(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * A count of tokens in an answer, kept a bigint: the reply writes it as a JSON integer while exact (below
 * 2^53) and as a string of its digits beyond (json.ts), as money amounts are. Tokens are stored up to 2^63 − 1.
 */
export const tokenCount = (description: string) =>
  z.bigint().meta({
    type: "integer",
    description: `${description}; whole tokens, a JSON integer below 2^53 and a string of digits beyond 2^53`,
  });
