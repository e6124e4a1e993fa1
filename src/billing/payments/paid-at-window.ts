import { startOfDay } from "../../domain/periods.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { addDays, calendarDate } from "../runs/calendar-date.ts";

// When a payment can have arrived, as staff state it (the API, the CLI, the console, mark-paid): a date in
// the future or decades back is a typo, and would put the payment in the wrong place of the statement and
// of every report by date. Judged against ctx.now(), the clock every verb takes its time from (tests pin
// it). A provider's payment is not judged: its date is the provider's signed record of the money arriving,
// and refusing it for our clock's error would leave money received unrecorded.

/**
 * How far ahead of our clock a payment may be dated: a day. An instant from a clock that runs ahead of ours is
 * accepted; a date (YYYY-MM-DD) may be tomorrow in BILLING_TIME_ZONE, so a bank statement dated "tomorrow"
 * where the customer is, ahead of the billing zone, is accepted too.
 */
export const PAID_AT_FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

/**
 * How far back: ten years, as long as accounting records are kept in the strictest common rule (Germany's
 * HGB §257, 10 years; most others 6 or 7). A payment older than that is a wrong year, not a late booking.
 */
export const PAID_AT_MAX_AGE_YEARS = 10;

/**
 * The instant a paid_at names: an instant as given; a date, the first instant of that day in `timeZone`
 * (BILLING_TIME_ZONE), so statements, which write payments' dates in that zone, show the date entered.
 */
export function paidAtInstant(paidAt: Date | string, timeZone: string): Date;
export function paidAtInstant(paidAt: Date | string | undefined, timeZone: string): Date | undefined;
export function paidAtInstant(paidAt: Date | string | undefined, timeZone: string): Date | undefined {
  return typeof paidAt === "string" ? startOfDay(paidAt, timeZone) : paidAt;
}

/**
 * Refuses (VALIDATION naming `field`) a paid_at outside [now − 10 years, now + 1 day]; a date (YYYY-MM-DD)
 * is judged as a day of `timeZone`: at most tomorrow there, its first instant at most 10 years back.
 */
export function checkPaidAt(
  paidAt: Date | string | undefined,
  now: Date,
  timeZone: string,
  field = "paid_at",
): void {
  if (paidAt === undefined) return;
  if (typeof paidAt === "string") {
    const latestDay = addDays(calendarDate(now, timeZone), 1);
    if (paidAt > latestDay) {
      throw ServiceError.validation(
        field,
        `must not be in the future: at most tomorrow in ${timeZone} (${latestDay})`,
      );
    }
  } else {
    const latest = new Date(now.getTime() + PAID_AT_FUTURE_TOLERANCE_MS);
    if (paidAt.getTime() > latest.getTime()) {
      throw ServiceError.validation(
        field,
        `must not be in the future: at most a day ahead of tokenbill's clock (${latest.toISOString()})`,
      );
    }
  }
  const earliest = new Date(now.getTime());
  earliest.setUTCFullYear(earliest.getUTCFullYear() - PAID_AT_MAX_AGE_YEARS);
  if (paidAtInstant(paidAt, timeZone).getTime() < earliest.getTime()) {
    throw ServiceError.validation(
      field,
      `must be within the last ${PAID_AT_MAX_AGE_YEARS} years (not before ${earliest.toISOString()})`,
    );
  }
}
