import type { z } from "zod";

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
  meta?: { last_page: number } | undefined;
}

/**
 * Every page of a list in turn, until meta.last_page or an empty page; without meta there is only one page
 * (what the official WHMCS module assumes too). Items are left to the caller to validate one by one, so
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
    if (page >= (meta?.last_page ?? page) || data.length === 0) return;
  }
}

/** "data[3].plan.tokens_per_hour: Invalid input" for the first issue of one item. */
export function describeItemIssue(index: number, error: z.ZodError): string {
  const issue = error.issues[0];
  return `data[${index}].${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`;
}
