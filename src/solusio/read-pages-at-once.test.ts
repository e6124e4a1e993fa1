import { expect, it } from "vitest";
import { type PageAnswer, readPagesAtOnce } from "./read-pages-at-once.ts";

// A walk of every SolusIO user asks for several pages at a time and gives the same items in the same order
// as one page at a time; it ends where one page at a time ends, and a failed page ends it.

/** Pages of `perPage` numbers up to `total`, counting how many are asked for at once. */
function pagesOf(total: number, perPage: number, fail?: number) {
  const seen = { inFlight: 0, most: 0, asked: [] as number[] };
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const readPage = async (page: number): Promise<PageAnswer<number>> => {
    seen.asked.push(page);
    seen.inFlight++;
    seen.most = Math.max(seen.most, seen.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    seen.inFlight--;
    if (page === fail) throw new Error(`page ${page} failed`);
    const data = Array.from({ length: perPage }, (_, i) => (page - 1) * perPage + i + 1).filter(
      (n) => n <= total,
    );
    return { data, meta: { current_page: page, last_page: lastPage } };
  };
  return { seen, readPage };
}

it("reads up to atOnce pages at a time, every item once and in order", async () => {
  const { seen, readPage } = pagesOf(1_000, 15);
  const items = await readPagesAtOnce("users", 8, readPage);
  expect(items).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
  expect(seen.most).toBe(8);
  expect(seen.asked.sort((a, b) => a - b)).toEqual(Array.from({ length: 67 }, (_, i) => i + 1));
});

it("one at a time when atOnce is 1, and a single page without meta is the whole list", async () => {
  const { seen, readPage } = pagesOf(100, 15);
  expect(await readPagesAtOnce("users", 1, readPage)).toHaveLength(100);
  expect(seen.most).toBe(1);
  expect(await readPagesAtOnce("users", 8, async () => ({ data: [1, 2] }))).toEqual([1, 2]);
});

it("ends at an empty page as one page at a time does, keeping nothing after it", async () => {
  const readPage = async (page: number): Promise<PageAnswer<number>> => ({
    data: page >= 3 ? [] : [page],
    meta: { current_page: page, last_page: 10 },
  });
  expect(await readPagesAtOnce("users", 4, readPage)).toEqual([1, 2]);
});

it("a failed page ends the walk with its error, and no page is asked for after it", async () => {
  const { seen, readPage } = pagesOf(10_000, 15, 5);
  await expect(readPagesAtOnce("users", 4, readPage)).rejects.toThrow("page 5 failed");
  expect(Math.max(...seen.asked)).toBeLessThan(5 + 4);
});

it("tells its progress after each page", async () => {
  const { readPage } = pagesOf(60, 15);
  const told: string[] = [];
  await readPagesAtOnce("users", 2, readPage, (p) => told.push(`${p.read}/${p.of}`));
  expect(told).toEqual(["1/4", "2/4", "3/4", "4/4"]);
});
