import { startOfDay } from "../../domain/periods.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { LAST_STORABLE_DATE } from "../../kernel/schemas.ts";
import { addDays } from "../runs/calendar-date.ts";

/**
 * The instants the payments list's received_from / received_to (days, both inclusive) cover: from the first
 * instant of `from` in `timeZone` (BILLING_TIME_ZONE) up to, not including, the first instant of the day after
 * `to`. A payment recorded with a date-only paid_at is stored at its day's first instant in that zone
 * (paidAtInstant), and the console and statements show paid_at as a day of it, so the filter takes the days
 * people see. A day is 23 or 25 hours across a change of clocks, so the end is found from the calendar, never
 * by adding 24 hours.
 */
export function receivedWindow(
  from: string | undefined,
  to: string | undefined,
  timeZone: string,
): { from?: Date; before?: Date } {
  if (from !== undefined && to !== undefined && to < from)
    throw ServiceError.validation("received_to", `must be on or after received_from (${from})`);
  return {
    ...(from === undefined ? {} : { from: startOfDay(from, timeZone) }),
    // The last storable day has no day after it to write; every stored instant is before its end anyway.
    ...(to === undefined || to === LAST_STORABLE_DATE
      ? {}
      : { before: startOfDay(addDays(to, 1), timeZone) }),
  };
}
