import { escapeHtml } from "./html-escape.ts";

// Dates and times in a page's text as <time> elements: the machine-readable value in `datetime`, the text as
// the date rule writes it inside (src/web/page-time.ts: "2026-11-30", "2026-11-30 14:05 UTC"). Styled
// `white-space: nowrap`, a date is never broken over two lines ("2026-" above "10-01" at 320 px, the HTML
// invoice's "Period covered" until 2026-12-06).

/** A date, maybe its time to the minute, maybe the zone: "2026-11-30", "2026-11-30 14:05 UTC", "… UTC+02:00". */
const DATE_OR_TIME = /\b(\d{4}-\d{2}-\d{2})(?!\d)(?: (\d{2}:\d{2})(?: UTC([+-]\d{2}:\d{2})?)?)?/g;

const ZONE = / UTC([+-]\d{2}:\d{2})?$/;

/** Whether "YYYY-MM-DD" is a day of the calendar ("2026-02-31" is not). */
function realDay(date: string): boolean {
  const instant = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(instant.getTime()) && instant.toISOString().slice(0, 10) === date;
}

/**
 * The text, escaped for HTML, with each date or time in it as `<time datetime="…">`: "2026-11-30" for a
 * date, "2026-11-30T14:05Z" for a UTC time. A range writes its zone once, at its end ("2026-10-01 00:00 –
 * 2026-11-01 00:00 UTC"), so a time without one takes the zone of the next time that has one.
 */
export function timeElements(text: string): string {
  return marked(text, escapeHtml);
}

/** `timeElements` for text already escaped for HTML (a date has nothing to escape). */
export function timeElementsInHtml(html: string): string {
  return marked(html, (text) => text);
}

function marked(text: string, escapeText: (text: string) => string): string {
  const matches = [...text.matchAll(DATE_OR_TIME)];
  let html = "";
  let at = 0;
  for (const [i, match] of matches.entries()) {
    const [whole, date, time] = match;
    if (date === undefined || !realDay(date)) continue;
    let value = date;
    if (time !== undefined) {
      const zoned = [match, ...matches.slice(i + 1)].find((m) => ZONE.test(m[0]));
      const offset = zoned === undefined ? undefined : (zoned[3] ?? "Z");
      value = `${date}T${time}${offset ?? ""}`;
    }
    html += `${escapeText(text.slice(at, match.index))}<time datetime="${value}">${escapeText(whole)}</time>`;
    at = match.index + whole.length;
  }
  return html + escapeText(text.slice(at));
}
