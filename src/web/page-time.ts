import { timeElementsInHtml } from "../billing/documents/html-time.ts";
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

/** A date, maybe its time to the minute and zone, as the rule writes it in a page. */
const RULED_DATE = /\b\d{4}-\d{2}-\d{2}(?!\d)(?: \d{2}:\d{2}(?: UTC(?:[+-]\d{2}:\d{2})?)?)?/g;

/** A <time> element's machine-readable value: a date, or a time to the minute with its zone. */
const TIME_VALUE = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Every date or time in a rendered page (`html`) that is not the text of a `<time datetime>` element whose
 * value says the same date (and time), or a <time> element whose value is no ISO 8601 date or UTC time.
 * Attribute values are not a page's text, nor are style, scripts, and the elements that cannot hold a
 * <time> (title, textarea, option) or show a stored record verbatim (pre: the audit log's JSON).
 */
export function datesOutsideTime(html: string): string[] {
  const found: string[] = [];
  const rest = html
    .replace(/<(style|script|title|textarea|option|pre)\b[^>]*>[\s\S]*?<\/\1>/g, " ")
    .replace(/<time\b([^>]*)>([^<]*)<\/time>/g, (_, attributes: string, text: string) => {
      const value = /\bdatetime="([^"]*)"/.exec(attributes)?.[1] ?? "";
      const parts = TIME_VALUE.exec(value);
      const shown = /^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}))?/.exec(text.trim());
      if (parts === null || shown === null || parts[1] !== shown[1] || parts[2] !== shown[2])
        found.push(`<time datetime="${value}">${text}</time>`);
      return " ";
    })
    .replace(/<[^>]+>/g, " ");
  for (const m of rest.matchAll(RULED_DATE)) found.push(m[0]);
  return found;
}

/** Elements whose text is left as it is: no element may go inside them, or it is shown verbatim (a stored record). */
const NO_TIME_INSIDE = new Set(["title", "textarea", "option", "script", "style", "pre", "time"]);

/**
 * A rendered page with every date and time in its text as `<time datetime="…">` (html-time.ts): the text as
 * the rule writes it, the ISO 8601 value in the attribute. Tags and their attribute values are untouched,
 * and so is the text of the elements in NO_TIME_INSIDE.
 */
export function withTimeElements(html: string): string {
  let skipping: string | null = null;
  return html
    .split(/(<[^>]*>)/)
    .map((part) => {
      const tag = /^<(\/?)([a-zA-Z][a-zA-Z0-9]*)/.exec(part);
      if (tag !== null) {
        const name = tag[2]!.toLowerCase();
        if (skipping === null && tag[1] === "" && NO_TIME_INSIDE.has(name)) skipping = name;
        else if (skipping === name && tag[1] === "/") skipping = null;
        return part;
      }
      return skipping === null && !part.startsWith("<") ? timeElementsInHtml(part) : part;
    })
    .join("");
}
