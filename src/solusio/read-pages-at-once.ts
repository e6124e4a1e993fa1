import { hasNextPage, MAX_PAGES } from "./follow-pages.ts";

// A long list (every SolusIO user: 1,334 pages of 15 for 20,000 users) read several pages at a time, the
// pages after the first asked for as soon as its meta.last_page names them. The list ends where a page read
// one at a time would have ended it (hasNextPage: an empty page, the page its own meta calls the last, no
// meta), so the items are the same and in the same order; only the waiting overlaps.

/** One page's answer, as listAll reads it. */
export interface PageAnswer<T> {
  data: T[];
  meta?: { current_page?: number | undefined; last_page: number } | undefined;
}

/** How far a walk is: pages read, of the pages SolusIO says the list has. */
export interface PagesRead {
  read: number;
  of: number;
}

/**
 * Every item of the list at `path`, up to `atOnce` pages asked for at a time. A page that fails (after its
 * own retries) ends the walk with its error once the pages in flight are answered; no page is asked for
 * after it. A list that grows while it is read is followed to its new last page, as one page at a time does.
 */
export async function readPagesAtOnce<T>(
  path: string,
  atOnce: number,
  readPage: (page: number) => Promise<PageAnswer<T>>,
  progress?: (p: PagesRead) => void,
): Promise<T[]> {
  const first = await readPage(1);
  const pages: T[][] = [first.data];
  if (!hasNextPage(path, 1, first.data.length, first.meta)) return first.data;
  // The last page worth asking for: what SolusIO says, never past MAX_PAGES (hasNextPage throws there).
  let target = Math.min(first.meta?.last_page ?? 1, MAX_PAGES);
  // The first page that ends the list (empty, or its own last): nothing after it is asked for or kept.
  let end = Number.POSITIVE_INFINITY;
  let next = 2;
  let read = 1;
  let failure: { error: unknown } | undefined;
  progress?.({ read, of: target });
  const worker = async () => {
    while (failure === undefined && next <= target && next < end) {
      const n = next++;
      try {
        const answer = await readPage(n);
        pages[n - 1] = answer.data;
        read++;
        if (hasNextPage(path, n, answer.data.length, answer.meta))
          target = Math.max(target, Math.min(answer.meta?.last_page ?? n, MAX_PAGES));
        else end = Math.min(end, n);
        progress?.({ read, of: Math.min(target, end) });
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  // A worker stops when no page is left to ask for; a page answered after that may still raise the target.
  while (failure === undefined && next <= target && next < end)
    await Promise.all(Array.from({ length: Math.max(1, atOnce) }, worker));
  if (failure) throw failure.error;
  return pages.slice(0, Math.min(end, target)).flat();
}
