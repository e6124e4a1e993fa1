// Pure rules of billing-rules §7 about where money goes; the verbs turn their answers into ledger lines.

/** The smaller of two amounts (Math.min does not take bigints). */
export function minAmount(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export interface OpenInvoice {
  id: string;
  due: bigint;
}

export interface Allocation {
  invoiceId: string;
  amount: bigint;
}

/**
 * A payment of `amount` over open invoices given oldest first: each takes what it owes until the money runs
 * out; what is left over becomes credit. Invoices owing nothing take nothing.
 */
export function allocateOldestFirst(
  amount: bigint,
  invoices: readonly OpenInvoice[],
): { allocations: Allocation[]; credit: bigint } {
  let left = amount;
  const allocations: Allocation[] = [];
  for (const inv of invoices) {
    if (left === 0n) break;
    if (inv.due <= 0n) continue;
    const take = minAmount(inv.due, left);
    allocations.push({ invoiceId: inv.id, amount: take });
    left -= take;
  }
  return { allocations, credit: left };
}

export interface RefundSources {
  /** The payment's credit part not taken back yet. */
  creditPart: bigint;
  /** The customer's credit now: a refund takes back only credit that is still unused. */
  customerCredit: bigint;
  /** What the payment still pays on each invoice, newest invoice first. */
  allocations: readonly Allocation[];
  /** Credit applied to invoices at finalization and not reopened yet, newest invoice first. */
  creditApplied: readonly Allocation[];
  /**
   * The most each invoice can take back: its total − its credit notes − its amount due now. An invoice a
   * credit note has cancelled cannot owe again what the note took off; that part comes from credit.
   */
  reopenable: ReadonlyMap<string, bigint>;
}

export interface RefundPlan {
  /** Credit taken back (credit +). */
  credit: bigint;
  /** Invoice allocations of the payment reopened (receivable +, tagged with the payment). */
  reopened: Allocation[];
  /** Credit already spent on invoices, reopened there (receivable +): the refunded money had paid them. */
  reopenedCreditApplied: Allocation[];
}

/**
 * Where a refund of `amount` comes from: first the payment's credit part while that credit is unused,
 * then its invoice allocations newest first. When the payment's credit part was spent on newer invoices,
 * the refund reopens those (newest first), so no amount is created or lost. Throws when the sources cannot
 * cover it, which the verb prevents by refusing a refund above what is left of the payment.
 */
export function planRefund(amount: bigint, sources: RefundSources): RefundPlan {
  let left = amount;
  const available = sources.customerCredit < 0n ? 0n : sources.customerCredit;
  let credit = minAmount(left, minAmount(sources.creditPart, available));
  left -= credit;
  const room = new Map(sources.reopenable);
  const take = (list: readonly Allocation[]) => {
    const out: Allocation[] = [];
    for (const a of list) {
      if (left === 0n) break;
      const cap = minAmount(a.amount, room.get(a.invoiceId) ?? 0n);
      if (cap <= 0n) continue;
      const x = minAmount(left, cap);
      out.push({ invoiceId: a.invoiceId, amount: x });
      room.set(a.invoiceId, (room.get(a.invoiceId) ?? 0n) - x);
      left -= x;
    }
    return out;
  };
  const reopened = take(sources.allocations);
  const reopenedCreditApplied = take(sources.creditApplied);
  // What the payment paid on invoices that credit notes have since cancelled became credit: take it there.
  const more = minAmount(left, available - credit);
  credit += more;
  left -= more;
  if (left !== 0n) throw new Error(`refund of ${amount} exceeds what the payment covered by ${left}`);
  return { credit, reopened, reopenedCreditApplied };
}
