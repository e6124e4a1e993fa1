import { replaceUnshowable, replaceUnshowableIn } from "../kernel/clean-text.ts";

// Text SolusIO sends that tokenbill stores and shows: server and plan names (on invoices, in the console, in
// mails) and the activity log's data. Whoever can name a server in SolusIO writes that text, and SolusIO's
// own checks are not tokenbill's. A NUL in one server's name made PostgreSQL refuse the billing run's whole
// stage ("unsupported Unicode escape sequence"), so no customer was invoiced; a bidirectional override
// would show an invoice line other than it is. Such characters become U+FFFD here, as the text arrives.

/** The longest server or plan name kept; SolusIO's are host names, at most 253 characters. */
export const MAX_UPSTREAM_NAME = 255;

/** A server's or a plan's name as tokenbill keeps it: showable, and at most MAX_UPSTREAM_NAME characters. */
export function upstreamName(name: string): string {
  return upstreamText(name, MAX_UPSTREAM_NAME);
}

/** `text` showable and at most `max` characters, the last of them "…" when it was cut. */
export function upstreamText(text: string, max: number): string {
  const clean = replaceUnshowable(text);
  return clean.length <= max ? clean : `${replaceUnshowable(clean.slice(0, max - 1))}…`;
}

/**
 * A copy of JSON data (an activity entry's `data`) with every string and key showable and its nesting bounded
 * (replaceUnshowableIn): PostgreSQL's jsonb refuses a NUL anywhere in it, and data nested a few thousand
 * levels deep overflowed the stack; either way the activity poller stopped at that entry for good.
 */
export function upstreamData(value: unknown): unknown {
  return replaceUnshowableIn(value);
}
