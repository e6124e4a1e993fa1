import type { z } from "zod";
import { SolusioError } from "./solusio-error.ts";

/**
 * The most pages of one list that are read. A list ends at its meta.last_page, which SolusIO alone decides:
 * one that says millions had a reader ask for as long as SolusIO answered. 100,000 pages are 1.5 million
 * items at SolusIO's default 15 a page, beyond any installation.
 */
export const MAX_PAGES = 100_000;

/**
 * Whether the list at `path` goes on after page `page`, whose answer had `items` items and `meta`. Throws
 * when the answer says it is another page than the one asked for (a SolusIO or a proxy that ignores `page`
 * answered page 1 every time, so the list never ended and page 1 was read again and again), and when the
 * list goes on past MAX_PAGES.
 */
export function hasNextPage(
  path: string,
  page: number,
  items: number,
  meta: { current_page?: number | undefined; last_page: number } | undefined,
): boolean {
  const fail = (why: string) => new SolusioError(`GET ${path}: ${why}`, null, false);
  if (meta?.current_page !== undefined && meta.current_page !== page)
    throw fail(`SolusIO answered page ${meta.current_page} when asked for page ${page}`);
  // Without meta there is only one page (what the official WHMCS module assumes too).
  if (page >= (meta?.last_page ?? page) || items === 0) return false;
  if (page >= MAX_PAGES) throw fail(`more than ${MAX_PAGES} pages (SolusIO says ${meta?.last_page})`);
  return true;
}

/**
 * What reading a list needs from HTTP: one GET answered with JSON. `SolusioClient` is one (retries,
 * timeouts, the call log); a benchmark can answer from memory.
 */
export interface JsonReader {
  /** `answeredAt` gets SolusIO's time of the answer (its Date header) when there is one. */
  getJson(
    path: string,
    query: Record<string, string | number>,
    answeredAt?: (date: Date) => void,
  ): Promise<unknown>;
}

interface RawPage {
  data: unknown[];
  meta?: { current_page?: number | undefined; last_page: number } | undefined;
}

/**
 * Every page of a list in turn, until meta.last_page or an empty page (hasNextPage); without meta there is
 * only one page. Items are left to the caller to validate one by one, so
 * that an error can name the page and the item; a page that does not fit `schema` throws `notAList`.
 */
export async function* followPages<P extends RawPage>(
  reader: JsonReader,
  path: string,
  query: (page: number) => Record<string, string | number>,
  schema: z.ZodType<P>,
  notAList: (page: number, answer: z.ZodError) => Error,
  answeredAt?: (date: Date) => void,
): AsyncGenerator<{ page: number; answer: P }> {
  for (let page = 1; ; page++) {
    const parsed = schema.safeParse(await reader.getJson(path, query(page), answeredAt));
    if (!parsed.success) throw notAList(page, parsed.error);
    yield { page, answer: parsed.data };
    const { data, meta } = parsed.data;
    if (!hasNextPage(path, page, data.length, meta)) return;
  }
}

/** "data[3].plan.tokens_per_hour: must be a number" for the first issue of one item. */
export function describeItemIssue(index: number, error: z.ZodError): string {
  const issue = error.issues[0];
  return `data[${index}].${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`;
}
