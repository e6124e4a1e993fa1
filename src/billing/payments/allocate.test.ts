import { describe, expect, it } from "vitest";
import { allocateOldestFirst, planRefund } from "./allocate.ts";

describe("allocating a payment oldest first (billing-rules §7)", () => {
  it("pays each invoice what it owes in order; the rest is credit", () => {
    const open = [
      { id: "a", due: 500n },
      { id: "b", due: 0n },
      { id: "c", due: 700n },
    ];
    expect(allocateOldestFirst(900n, open)).toEqual({
      allocations: [
        { invoiceId: "a", amount: 500n },
        { invoiceId: "c", amount: 400n },
      ],
      credit: 0n,
    });
    expect(allocateOldestFirst(1300n, open).credit).toBe(100n);
    expect(allocateOldestFirst(50n, [])).toEqual({ allocations: [], credit: 50n });
  });
});

describe("planning a refund", () => {
  const sources = {
    creditPart: 380n,
    customerCredit: 380n,
    allocations: [{ invoiceId: "oct", amount: 620n }],
    creditApplied: [],
    reopenable: new Map([
      ["oct", 1020n],
      ["nov", 380n],
    ]),
  };

  it("takes back the payment's unused credit first, then reopens its invoices", () => {
    expect(planRefund(300n, sources)).toEqual({ credit: 300n, reopened: [], reopenedCreditApplied: [] });
    expect(planRefund(500n, sources)).toEqual({
      credit: 380n,
      reopened: [{ invoiceId: "oct", amount: 120n }],
      reopenedCreditApplied: [],
    });
  });

  it("reopens the invoices that spent the credit once it is gone", () => {
    const spent = { ...sources, customerCredit: 0n, creditApplied: [{ invoiceId: "nov", amount: 380n }] };
    expect(planRefund(1000n, spent)).toEqual({
      credit: 0n,
      reopened: [{ invoiceId: "oct", amount: 620n }],
      reopenedCreditApplied: [{ invoiceId: "nov", amount: 380n }],
    });
  });

  it("never makes a credit-noted invoice owe again: that part comes out of the credit the note gave", () => {
    // Invoice of 2 paid by a payment of 1847 (1845 credit); a credit note of 2 then gave 2 more credit.
    const cancelled = {
      creditPart: 1845n,
      customerCredit: 1847n,
      allocations: [{ invoiceId: "small", amount: 2n }],
      creditApplied: [],
      reopenable: new Map([["small", 0n]]),
    };
    expect(planRefund(1847n, cancelled)).toEqual({ credit: 1847n, reopened: [], reopenedCreditApplied: [] });
    expect(() => planRefund(1848n, cancelled)).toThrow(/exceeds/);
  });

  it("refuses what the payment never covered", () => {
    expect(() => planRefund(1001n, sources)).toThrow(/exceeds/);
  });
});

describe("an invoice's state from its amount due", () => {
  it("is paid at 0 due, partially_paid when something paid part of it, else finalized", async () => {
    const { statusForAmountDue } = await import("./invoice-settlement.ts");
    expect(statusForAmountDue({ total: 1020n, due: 0n, creditNoted: 0n })).toBe("paid");
    expect(statusForAmountDue({ total: 1020n, due: 620n, creditNoted: 0n })).toBe("partially_paid");
    expect(statusForAmountDue({ total: 1020n, due: 1020n, creditNoted: 0n })).toBe("finalized");
    // A credit note lowers the due without paying anything.
    expect(statusForAmountDue({ total: 1020n, due: 912n, creditNoted: 108n })).toBe("finalized");
    expect(statusForAmountDue({ total: 0n, due: 0n, creditNoted: 0n })).toBe("finalized");
  });
});
