import type { Invoice } from "./invoice-schemas.ts";

// A customer's month voided and reissued more than once holds a chain: A (void, released) → B (void,
// released) → C (in force). Nothing stores the links; they follow from the release times, since each
// invoice of the month was drafted only after the one before it gave up the slot (migration 027's unique
// index lets one unreleased invoice exist at a time), and released its own slot after that.

type MonthInvoice = Pick<Invoice, "id" | "void">;

/** The month's invoices in the order they held its slot: released ones by release time, then the one holding it. */
export function reissueChain<T extends MonthInvoice>(month: readonly T[]): T[] {
  const releasedAt = (i: T) => i.void?.released_at ?? null;
  return [...month].sort((a, b) => {
    const [ra, rb] = [releasedAt(a), releasedAt(b)];
    if (ra !== rb) {
      if (ra === null) return 1;
      if (rb === null) return -1;
      // ISO 8601 instants of one format: their text order is their time order.
      return ra < rb ? -1 : 1;
    }
    // Only a test's pinned clock releases two at one instant; ids are time-ordered (time-ordered-id.ts).
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** What `id` replaced and what replaced it, among its month's invoices; the others are just of the same month. */
export function reissueNeighbours<T extends MonthInvoice>(
  month: readonly T[],
  id: string,
): { replaces: T | undefined; reissuedAs: T | undefined; others: T[] } {
  const chain = reissueChain(month);
  const at = chain.findIndex((i) => i.id === id);
  if (at < 0) return { replaces: undefined, reissuedAs: undefined, others: chain };
  const replaces = chain[at - 1];
  // Only a released invoice has a successor: one voided without reissue kept the month.
  const reissuedAs = chain[at]!.void?.released_at ? chain[at + 1] : undefined;
  const others = chain.filter((i) => i.id !== id && i !== replaces && i !== reissuedAs);
  return { replaces, reissuedAs, others };
}
