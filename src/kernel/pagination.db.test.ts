import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import { fetchPage, type PageQuery } from "./pagination.ts";

// meta.total of a numbered page is the count of the rows the list shows, whatever narrows them: counted from
// the rows' own query, so a filter added where the rows are selected (fetchPage's rowsOf) is counted too.
// Until 2026-12-06 the count read only the query given to fetchPage, and such a filter made it lie.

let handle: TestDatabase;
beforeAll(async () => {
  handle = await createTestDatabase();
  await createCustomers(
    handle,
    Array.from({ length: 7 }, (_, i) => ({ email: `paged-${i}@example.com` })),
  );
  await createCustomers(handle, [{ email: "other-0@example.com" }, { email: "other-1@example.com" }]);
});
afterAll(() => handle?.close());

/** Every page of the customers whose e-mail starts `paged-`, the filter added by rowsOf, 3 a page. */
async function walk(filterInRows: boolean) {
  const base = handle.db.selectFrom("customer");
  const filtered = filterInRows ? base : base.where("email", "like", "paged-%");
  const pages = [];
  for (let page = 1; page <= 5; page++) {
    const query: PageQuery = { page, per_page: 3 };
    pages.push(
      await fetchPage(
        filtered,
        query,
        (q) => (filterInRows ? q.where("email", "like", "paged-%") : q).select(["id", "email"]).orderBy("id"),
        (r) => r.email,
      ),
    );
  }
  return pages;
}

describe("a numbered page's meta.total", () => {
  for (const filterInRows of [false, true]) {
    it(`counts exactly the rows shown, under a filter ${filterInRows ? "added by rowsOf" : "given to fetchPage"}, to the last page`, async () => {
      const pages = await walk(filterInRows);
      const shown = pages.flatMap((p) => p.data);
      expect(shown).toHaveLength(7);
      expect(shown.every((email) => email.startsWith("paged-"))).toBe(true);
      for (const { meta } of pages)
        expect({ total: meta.total, last_page: meta.last_page }).toEqual({ total: 7, last_page: 3 });
      // The last page holds the rest (7 - 2 × 3), and a page past it none, with the same meta.
      expect(pages.map((p) => p.data.length)).toEqual([3, 3, 1, 0, 0]);
    });
  }
});
