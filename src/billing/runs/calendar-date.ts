import { validateTimeZone } from "../../domain/periods.ts";

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) at instant `at` in `timeZone`: an invoice's issue date. */
export function calendarDate(at: Date, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    validateTimeZone(timeZone);
    // en-CA formats dates as YYYY-MM-DD.
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, f);
  }
  return f.format(at);
}

/** `date` plus `days` calendar days (payment terms, billing-rules §5). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}
