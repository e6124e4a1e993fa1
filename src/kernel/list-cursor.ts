import { createHash } from "node:crypto";
import { type RawBuilder, type SelectQueryBuilder, sql } from "kysely";
import { z } from "zod";
import { ServiceError } from "./errors.ts";
import type { PageQuery } from "./pagination.ts";

// Keyset ("cursor") pages: a cursor names the last row a page showed by the list's whole sort key, so the
// next page starts at that key through the list's index instead of counting past every row before it (an
// OFFSET reads and drops them: page 6,005 of 600,495 invoices took 4.5 s). A cursor is opaque to clients:
// base64url JSON of the list's name, a digest of the filters it was made under and the key, then a check
// value. The check value is a digest, not a signature: it catches a cut or edited cursor, and a cursor
// forged with a valid check only names another position in a list the caller may read anyway (the filters
// and the caller's scope are applied to every page anew).

/** Longer than any cursor the lists make (the invoice key is the longest, about 200 characters). */
export const MAX_CURSOR_LENGTH = 400;

const CURSOR_SHAPE = /^[A-Za-z0-9_-]{1,380}\.[A-Za-z0-9_-]{16}$/;

/** The `cursor` query parameter of a keyset list; decoded and checked against the list by `readCursor`. */
export const cursorParam = z
  .string()
  .max(
    MAX_CURSOR_LENGTH,
    `must be a cursor from a list's meta.next_cursor (at most ${MAX_CURSOR_LENGTH} characters)`,
  )
  .regex(CURSOR_SHAPE, "must be a cursor from a list's meta.next_cursor, sent unchanged")
  .optional()
  .meta({
    description:
      "walks the list: send meta.next_cursor of the previous answer, with the same filters, instead of `page`. " +
      "Each page then costs the same however deep it is; `page` is for the first, shallow pages.",
  });

/**
 * `total` of a keyset list: whether the answer counts the filter's matches (`meta.total`, `meta.last_page`).
 * The count reads every match, so its cost grows with the book, not the page (a million invoices: 80–105 ms,
 * a period's 100,000 matches 15–27 ms, where the page itself takes 0.2 ms, docs/performance.md). A page by
 * number counts unless told `total=false` (as it always did); a page by cursor counts only when told
 * `total=true`.
 */
export const totalParam = z
  .enum(["true", "false"], { message: "must be true or false" })
  .optional()
  .meta({
    description:
      "whether to count the filter's matches for meta.total and meta.last_page (null when not counted). " +
      "Default: true for a page by number, false for a page by `cursor`: the count reads every match, so it " +
      "costs what the whole list does, however small the page.",
  });

/**
 * A page of a keyset list: `page` is null when it was reached by cursor (its number is not counted);
 * `total` and `last_page` are null when the matches were not counted (`totalParam`).
 */
export interface KeysetPage<T> {
  data: T[];
  meta: {
    page: number | null;
    per_page: number;
    total: number | null;
    last_page: number | null;
    next_cursor: string | null;
  };
}

/** A row's numeric id in a cursor's key, as text: within PostgreSQL's bigint, or the database would refuse it. */
export const cursorKeyId = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/)
  .refine((s) => BigInt(s) <= 2n ** 63n - 1n);

/**
 * A timestamptz in a cursor's key, to the microsecond in UTC: a JavaScript Date keeps only milliseconds, and a
 * cursor that rounded would repeat or skip rows. Read from the row by instantKeyOf, compared as `::timestamptz`.
 * Year 0000 is refused: JavaScript takes it, PostgreSQL has no year 0 and failed the query (a 500 until
 * 2026-12-07), and a cursor's digest stops a cut or changed cursor, not a made one.
 */
export const cursorKeyInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
  .refine((s) => {
    if (s.startsWith("0000")) return false;
    const instant = new Date(`${s.slice(0, 23)}Z`);
    return !Number.isNaN(instant.getTime()) && instant.toISOString().slice(0, 19) === s.slice(0, 19);
  });

/** A timestamptz column as cursorKeyInstant holds it (select it beside the row, then put it in the key). */
export function instantKeyOf(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

// `total` stays text: a verb parses its own input again, so what the schema gives must parse as well.
export type KeysetQuery = PageQuery & { cursor?: string | undefined; total?: "true" | "false" | undefined };

/** Whether this request counts the matches: `total` when sent, else only a page by number. */
export function countsTotal(input: KeysetQuery): boolean {
  return input.total === undefined ? input.cursor === undefined : input.total === "true";
}

/**
 * The number of the list's matches (`q` with its filters, before order and limit) when this request counts
 * them (countsTotal), else null: the count reads every match, so only a page by number or `total=true` pays it.
 */
export async function countIfAsked<DB, TB extends keyof DB>(
  input: KeysetQuery,
  q: SelectQueryBuilder<DB, TB, object>,
): Promise<bigint | null> {
  if (!countsTotal(input)) return null;
  // Kysely cannot name the selection of a builder generic over its tables: the row is { n } all the same.
  const row = await q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow();
  return (row as { n: bigint }).n;
}

function digest(text: string, length: number): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, length);
}

/** The filters as one value: each name with its value as text, in name order, unset ones left out. */
function filterDigest(filters: Record<string, unknown>): string {
  const set = Object.entries(filters)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : 1));
  return digest(JSON.stringify(set), 16);
}

export function encodeCursor(list: string, filters: Record<string, unknown>, key: readonly string[]): string {
  const body = Buffer.from(JSON.stringify({ v: 1, l: list, f: filterDigest(filters), k: key })).toString(
    "base64url",
  );
  return `${body}.${digest(body, 16)}`;
}

const CursorBody = z
  .object({ v: z.literal(1), l: z.string(), f: z.string(), k: z.array(z.string()) })
  .strict();

const START_AGAIN = "start again from the first page (without cursor)";

/**
 * The key a cursor names, checked: made by this list, under these filters, unchanged, and a key of the list's
 * shape. Anything else is a VALIDATION error on `cursor` (400), never a database error.
 */
export function readCursor<K>(
  list: string,
  filters: Record<string, unknown>,
  keyShape: z.ZodType<K>,
  text: string,
): K {
  const refuse = (why: string) => ServiceError.validation("cursor", why);
  const [body, check] = text.split(".");
  if (!body || !check || !CURSOR_SHAPE.test(text) || digest(body, 16) !== check)
    throw refuse(`is not a cursor of this list, or was changed or cut: ${START_AGAIN}`);
  let parsed: z.output<typeof CursorBody>;
  try {
    parsed = CursorBody.parse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    throw refuse(`is not a cursor of this list: ${START_AGAIN}`);
  }
  if (parsed.l !== list) throw refuse(`was made by another list: ${START_AGAIN}`);
  if (parsed.f !== filterDigest(filters))
    throw refuse(
      `was made with other filters: send the filters of the request that gave it, or ${START_AGAIN}`,
    );
  const key = keyShape.safeParse(parsed.k);
  if (!key.success) throw refuse(`is not a cursor of this list: ${START_AGAIN}`);
  return key.data;
}

/** `page` counts rows from the start and `cursor` names a row: a request sends one of them. */
export function assertPageOrCursor(input: KeysetQuery): void {
  if (input.cursor !== undefined && input.page !== 1)
    throw ServiceError.validation("page", "send page or cursor, not both (a cursor already names its page)");
}

/**
 * A keyset page's rows and meta from rows read with LIMIT per_page + 1: the extra row only says that another
 * page follows, and the cursor names the last row shown. `total` is null when the matches were not counted
 * (`countsTotal`). The caller presents the rows.
 */
export function keysetPageOf<R>(
  rows: R[],
  total: number | bigint | null,
  input: KeysetQuery,
  next: { list: string; filters: Record<string, unknown>; keyOf: (row: R) => string[] },
): { rows: R[]; meta: KeysetPage<never>["meta"] } {
  const shown = rows.slice(0, input.per_page);
  const last = shown[shown.length - 1];
  const count = total === null ? null : Number(total);
  return {
    rows: shown,
    meta: {
      page: input.cursor === undefined ? input.page : null,
      per_page: input.per_page,
      total: count,
      last_page: count === null ? null : Math.max(1, Math.ceil(count / input.per_page)),
      next_cursor:
        rows.length > input.per_page && last !== undefined
          ? encodeCursor(next.list, next.filters, next.keyOf(last))
          : null,
    },
  };
}
