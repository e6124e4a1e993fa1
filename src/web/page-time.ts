import { calendarDate } from "../billing/runs/calendar-date.ts";

// The one rule for dates on the console's and the portal's pages, the HTML documents and the PDFs: a date
// is ISO 8601, "2026-11-30" (never "30 November 2026" or "11/30/2026"); a time is UTC to the minute with its
// zone, "2026-11-30 14:05 UTC". The verbs' own messages keep the API's ISO 8601 (a script reads them); a page
// rewords the times in them as it writes every other time (render.ts applies readableTimes to every message a
// page shows). DATES_OFF_RULE finds what breaks the rule in a rendered page (the pages' tests scan for it).

/** A timestamp for a page, in UTC and to the minute: "2026-11-30 14:05 UTC". */
export function when(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return "";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A calendar date for a page, as ISO 8601 writes it: "2026-11-30" ("" for none). */
export function day(value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  return /^\d{4}-\d{2}-\d{2}/.exec(value)?.[0] ?? "";
}

/**
 * Date styles the rule excludes: a month's name next to a day or year ("30 November 2026", "Nov 30, 2026"),
 * day/month/year with slashes or dots ("11/30/2026", "30.11.2026"), a raw ISO timestamp
 * ("2026-11-30T14:05:00Z"), and a time of day without the zone after it ("2026-11-30 14:05").
 */
export const DATES_OFF_RULE: readonly RegExp[] = [
  /\b\d{1,2}(?:st|nd|rd|th)? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?,? \d{4}\b/g,
  /\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b/g,
  /\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/g,
  /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/g,
  /\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?!\s?(?:UTC|–|-))/g,
];

/** Every piece of `text` (a page's visible text) that writes a date or time against the rule. */
export function datesOffRule(text: string): string[] {
  return DATES_OFF_RULE.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[0]));
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
