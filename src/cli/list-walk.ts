import { wholeNumber } from "../kernel/schemas.ts";
import { MAX_LIMIT } from "./list-limit.ts";
import { jsonListWriter, type OutputSink, tableWriter } from "./streamed-output.ts";

// A list command walks an admin API list by cursor to its end, or to --limit, printing each page as it is read
// (streamed-output.ts): a page is held, never the list. `payments list`, `payments events` and `jobs failed`
// walk their verbs' lists this way, so a command shows every row the list holds, as a script expects, in the
// one output shape: `{"data": [...], "meta": {"count", "more"}}` with --json, else a table.

/** The API's largest page: a walk reads this many rows a call. */
export const PAGE_SIZE = 500;

/** --limit as typed: a whole number from 1 to MAX_LIMIT. */
export const LimitOption = wholeNumber({
  min: 1n,
  max: BigInt(MAX_LIMIT),
  message: `must be a whole number from 1 to ${MAX_LIMIT}`,
}).transform(Number);

/** One call of a list: up to `perPage` rows after `cursor` (none: the first), and the next cursor. */
export type PageSource<T> = (
  perPage: number,
  cursor: string | undefined,
) => Promise<{ data: T[]; next_cursor: string | null }>;

/**
 * Every row `source` gives, in its order, up to `limit`: read by cursor, `pageSize` a call, each page handed to
 * `onPage` before the next is read, so that no more than a page is held. `more` says the limit cut the list
 * short; `stop` ends the walk early (the output's reader went away).
 */
export async function walkList<T>(
  source: PageSource<T>,
  onPage: (rows: T[]) => Promise<void>,
  limit = Number.POSITIVE_INFINITY,
  stop: () => boolean = () => false,
  pageSize = PAGE_SIZE,
): Promise<{ count: number; more: boolean }> {
  let count = 0;
  let cursor: string | undefined;
  for (;;) {
    // One more than still wanted, so that a list ending exactly at the limit is not said to have more.
    const page = await source(Math.min(pageSize, limit - count + 1), cursor);
    const more = count + page.data.length > limit;
    const rows = more ? page.data.slice(0, limit - count) : page.data;
    count += rows.length;
    await onPage(rows);
    if (more) return { count, more: true };
    if (page.next_cursor === null || stop()) return { count, more: false };
    cursor = page.next_cursor;
  }
}

/** How a list is printed: as JSON, or as a table of `headers` whose rows `row` makes. */
export interface ListPrinting<T> {
  json: boolean;
  limit?: number | undefined;
  headers: readonly string[];
  rightAligned?: boolean[];
  row: (item: T) => string[];
  /** Rows a call (PAGE_SIZE); a test walks smaller pages to cross a page's end with few rows. */
  pageSize?: number;
}

/**
 * The list written to `sink` as it is walked: `{"data": [...], "meta": {"count", "more"}}` with --json, else the
 * table (tableWriter: aligned a page at a time). Answers the walk's count and whether more match.
 */
export async function printList<T>(
  source: PageSource<T>,
  sink: OutputSink,
  options: ListPrinting<T>,
): Promise<{ count: number; more: boolean }> {
  const stop = () => sink.closed;
  const walk = (onPage: (rows: T[]) => Promise<void>) =>
    walkList(source, onPage, options.limit, stop, options.pageSize);
  if (options.json) {
    const json = jsonListWriter(sink);
    const walked = await walk((page) => json.rows(page));
    await json.end({ count: walked.count, more: walked.more });
    return walked;
  }
  const table = tableWriter(sink, options.headers, options.rightAligned);
  const walked = await walk((page) => table.rows(page.map(options.row)));
  await table.end();
  return walked;
}
