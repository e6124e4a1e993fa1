import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { actors } from "../../kernel/actor.ts";
import { encodeCursor } from "../../kernel/list-cursor.ts";
import { listPortalPayments } from "../../services/portal/portal-payments.ts";
import { textOf } from "../console/pricing-test-client.ts";
import {
  loggedInPortal,
  namedPortalCustomer,
  operatorContext,
  type PortalClient,
  type PortalCustomer,
} from "./testing/portal-fixtures.ts";

// The portal's payments walk by cursor as the admin API's payments do (until 2026-12-07 by OFFSET): following
// next_cursor gives the rows, in the order, that the pages by number give, with the month and method filters,
// across payments received at the same instant; the page's Next carries the cursor. A cursor of another list,
// or one made under other filters, is a 400 saying so.

const file = serverPerFile();
let ada: PortalCustomer;
let bob: PortalCustomer;
let client: PortalClient;

beforeAll(async () => {
  ada = await namedPortalCustomer(file.handle, "Ada");
  bob = await namedPortalCustomer(file.handle, "Bob");
  // 70 of Ada's payments in October and November 2026, in 6 instants to the microsecond (paid_at ties, the
  // id decides), by three methods; 10 of Bob's beside them, never Ada's to see.
  await sql`
    INSERT INTO payment (id, customer_id, currency_code, amount, method, reference, paid_at)
    SELECT 'pay_' || md5('portal walk' || n), CASE WHEN n > 70 THEN ${bob.id}::bigint ELSE ${ada.id}::bigint END, 'USD',
           100 + n, (ARRAY['cash', 'bank_transfer', 'stripe'])[n % 3 + 1], 'PW-' || n,
           timestamptz '2026-10-31 23:30:00.123456+00' + (n % 6 - 3) * interval '10 days 0.000001 second'
    FROM generate_series(1, 80) n`.execute(file.handle.db);
  client = await loggedInPortal(file.server, ada);
}, 60_000);

type Filters = { month?: string; method?: "cash" | "bank_transfer" | "card" };

/** The references of every page by number, and by following next_cursor from the first page. */
async function bothWalks(filters: Filters) {
  const ctx = { ...operatorContext(file.handle), actor: actors.customer(ada.id) };
  const read = (paging: { page: number } | { page: 1; cursor: string }) =>
    listPortalPayments({ ctx, input: { ...paging, per_page: 4, ...filters } });
  const first = await read({ page: 1 });
  const byPage = [...first.data];
  for (let page = 2; page <= first.meta.last_page!; page++) byPage.push(...(await read({ page })).data);
  const byCursor = [...first.data];
  for (let next = first.meta.next_cursor, steps = 0; next !== null; steps++) {
    const answer = await read({ page: 1, cursor: next });
    expect(answer.meta.page).toBeNull();
    byCursor.push(...answer.data);
    next = answer.meta.next_cursor;
    expect(steps).toBeLessThan(100);
  }
  return { byPage: byPage.map((p) => p.reference), byCursor: byCursor.map((p) => p.reference), first };
}

describe("the portal's payments walked by cursor", () => {
  it("gives the rows, in the order, that the pages by number give, with filters", async () => {
    const counted = async (where: string) =>
      Number(
        (
          await sql<{ n: string }>`
            SELECT count(*)::text AS n FROM payment WHERE customer_id = ${ada.id} AND ${sql.raw(where)}`.execute(
            file.handle.db,
          )
        ).rows[0]!.n,
      );
    const OCTOBER = "paid_at >= '2026-10-01T00:00:00Z' AND paid_at < '2026-11-01T00:00:00Z'";
    const NOVEMBER = "paid_at >= '2026-11-01T00:00:00Z' AND paid_at < '2026-12-01T00:00:00Z'";
    for (const [filters, where] of [
      [{}, "true"],
      [{ month: "2026-10" }, OCTOBER],
      [{ method: "cash" }, "method = 'cash'"],
      [{ method: "card", month: "2026-11" }, `method = 'stripe' AND ${NOVEMBER}`],
    ] as const) {
      const count = await counted(where);
      expect(count, JSON.stringify(filters)).toBeGreaterThan(8);
      const { byPage, byCursor, first } = await bothWalks(filters);
      expect(first.meta.total, JSON.stringify(filters)).toBe(count);
      expect(byPage).toHaveLength(count);
      expect(new Set(byPage).size).toBe(count);
      expect(byCursor).toEqual(byPage);
      // Bob's payments share the instants and methods: never Ada's.
      expect(byPage.filter((r) => /^PW-(7[1-9]|80)$/.test(r ?? ""))).toEqual([]);
    }
  });

  it("pages: Next carries the cursor, and its rows are those of the page by number", async () => {
    const first = await client.get("/portal/payments");
    expect(first.status).toBe(200);
    expect(textOf(first.text)).toContain("Page 1 of 2 (71 in all)");
    const next = /<a href="([^"]+)" rel="next">Next<\/a>/.exec(first.text)?.[1]?.replace(/&amp;/g, "&");
    expect(next).toMatch(/^\/portal\/payments\?cursor=[^&]+&page=2$/);
    const second = await client.get(next!);
    expect(second.status).toBe(200);
    const rows = (html: string) => textOf(html).match(/PW-\d+\b/g) ?? [];
    expect(rows(second.text)).toHaveLength(21);
    expect(textOf(second.text)).toContain("Page 2");
    expect(textOf(second.text)).not.toMatch(/Page 2 of/);
    expect(rows(second.text)).toEqual(rows((await client.get("/portal/payments?page=2")).text));
  });

  it("refuses another list's cursor, and one made under other filters, with a 400 saying so", async () => {
    // A cursor of October's list (per_page plays no part in a cursor), sent with November's.
    const ctx = { ...operatorContext(file.handle), actor: actors.customer(ada.id) };
    const october = await listPortalPayments({ ctx, input: { page: 1, per_page: 4, month: "2026-10" } });
    const cursor = encodeURIComponent(october.meta.next_cursor!);
    const other = await client.get(`/portal/payments?month=2026-11&cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(textOf(other.text)).toMatch(/cursor: was made with other filters/i);
    expect(textOf(other.text)).not.toMatch(/PW-\d+/);
    // A cursor of another list (the statement's), well made: refused, not read as this list's.
    const theirs = encodeURIComponent(encodeCursor("portal-statement", {}, ["1"]));
    const another = await client.get(`/portal/payments?cursor=${theirs}`);
    expect(another.status).toBe(400);
    expect(textOf(another.text)).toMatch(/cursor: was made by another list/i);
  });
});
