import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { creditNoteOutcomeParts } from "./credit-note-content.ts";
import type { CreditNoteSettled } from "./credit-note-document.ts";
import { SETTLED_AS, SETTLED_PARTS, type SettledAs, settledAmounts, settledWays } from "./settled-ways.ts";

// A note's documents (creditNoteOutcome: its PDF, mail, the portal's Settled cell) and its lists (settledWays,
// the SQL filter, the API's `settled` amounts) tell where its money went from one table, SETTLED_PARTS. Until
// 2026-12-07 the documents kept a list of their own; these fail if a sentence is filed, or counts, otherwise.

const minor = fc.bigInt({ min: 0n, max: 100_000n });
const byHand = fc.record({
  method: fc.constantFrom("bank_transfer", "cash", "cheque", "manual"),
  amount: minor,
});

/** A note's settlement as the reader could find it: each part split as the documents split it. */
const note = fc
  .record({
    takenOff: minor,
    refundedToCard: minor,
    refundedByHand: fc.uniqueArray(byHand, { maxLength: 3, selector: (r) => r.method }),
    refundPending: minor,
    failedKept: minor,
    refundFailedPaidInvoices: minor,
    kept: minor,
  })
  .map(({ refundedToCard, failedKept, kept, ...n }) => {
    const settled: CreditNoteSettled = {
      ...n,
      refunded: refundedToCard + n.refundedByHand.reduce((sum, r) => sum + r.amount, 0n),
      refundFailed: failedKept + n.refundFailedPaidInvoices,
    };
    const total = kept + settled.takenOff + settled.refunded + settled.refundPending + settled.refundFailed;
    return { total, settled, invoiceNumber: "INV-TEST", ...settled };
  });

/** The sentences' amounts summed by the way each is filed under. */
function sentencesBy(n: Parameters<typeof creditNoteOutcomeParts>[0]): Map<SettledAs, bigint> {
  const sums = new Map<SettledAs, bigint>();
  for (const p of creditNoteOutcomeParts(n)) sums.set(p.how, (sums.get(p.how) ?? 0n) + p.amount);
  return sums;
}

describe("where a credit note's money went, in its documents' words and in its lists", () => {
  it("names the ways settledWays files the note under, in the same order", () => {
    fc.assert(
      fc.property(note, (n) => {
        expect([...sentencesBy(n).keys()]).toEqual(settledWays(n));
      }),
    );
  });

  it("says, per way, the amount the lists count (settledAmounts), and the ways sum to the note's total", () => {
    fc.assert(
      fc.property(note, (n) => {
        const amounts = settledAmounts(n);
        const sentences = sentencesBy(n);
        for (const how of SETTLED_AS) expect(sentences.get(how) ?? 0n, how).toBe(amounts[how]);
        expect(SETTLED_AS.reduce((sum, how) => sum + amounts[how], 0n)).toBe(n.total);
      }),
    );
  });

  it("files the words of each part alone under the way the table names for it", () => {
    const none = {
      takenOff: 0n,
      refunded: 0n,
      refundPending: 0n,
      refundFailed: 0n,
      refundFailedPaidInvoices: 0n,
    };
    for (const how of SETTLED_AS)
      for (const part of SETTLED_PARTS[how]) {
        const settled: CreditNoteSettled = {
          ...none,
          refundedByHand: [],
          ...(part === "kept" ? {} : { [part]: 500n }),
        };
        const words = creditNoteOutcomeParts({ total: 500n, settled, invoiceNumber: "INV-TEST", ...settled });
        expect(
          words.map((w) => w.how),
          part,
        ).toEqual([how]);
        expect(words[0]?.amount, part).toBe(500n);
      }
  });
});
