import { calendarDate } from "../billing/runs/calendar-date.ts";

// Times on the console's and the portal's pages: UTC to the minute, "2026-11-30 14:05 UTC". The verbs' own
// messages keep the API's ISO 8601 (a script reads them); a page rewords the times in them as it writes
// every other time (render.ts applies readableTimes to every message a page shows).

/** A timestamp for a page, in UTC and to the minute: "2026-11-30 14:05 UTC". */
export function when(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return "";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * The day a payment arrived, as statements and invoice documents write it: its calendar date in
 * BILLING_TIME_ZONE ("2026-12-05"). A date entered for a payment is that day's first instant there, which
 * `when` wrote as the day before in UTC for a zone east of it (2026-12-04 23:00 UTC for Europe/Berlin).
 */
export function paidOn(value: Date | string, timeZone: string): string {
  return calendarDate(typeof value === "string" ? new Date(value) : value, timeZone);
}

/** An ISO 8601 UTC time as toISOString writes it, seconds and fraction optional. */
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z/g;

/** The text with every ISO time in it written as `when` writes it ("not before 2016-12-06 10:00 UTC"). */
export function readableTimes(text: string): string {
  return text.replace(ISO_TIME, (iso) => when(iso) || iso);
}
