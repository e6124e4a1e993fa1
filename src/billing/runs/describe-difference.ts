import type { Anomaly } from "./anomaly.ts";
import type { DraftInvoice } from "./build-invoice.ts";

interface StoredInvoice {
  id: string;
  customer_id: bigint;
  status: string;
  number: string | null;
  total: bigint;
  tokens: bigint;
  currency_code: string;
}

interface StoredLine {
  kind: string;
  server_id: bigint;
  tokens: bigint;
  amount: bigint;
}

/** What changed between a stored invoice and a recomputation: totals, and each line added, gone or changed. */
export function describeDifference(
  stored: StoredInvoice,
  storedLines: readonly StoredLine[],
  draft: DraftInvoice,
): Anomaly {
  const key = (kind: string, server: bigint | number) => `${kind}:${server}`;
  const before = new Map(storedLines.map((l) => [key(l.kind, l.server_id), l]));
  const after = new Map(draft.lines.map((l) => [key(l.kind, l.serverId), l]));
  const lines: Record<string, unknown>[] = [];
  for (const [k, l] of after) {
    const b = before.get(k);
    if (!b) lines.push({ line: k, change: "added", tokens: l.tokens, amount: l.amount });
    else if (b.tokens !== l.tokens || b.amount !== l.amount) {
      lines.push({
        line: k,
        change: "changed",
        tokens: { stored: b.tokens, now: l.tokens },
        amount: { stored: b.amount, now: l.amount },
      });
    }
  }
  for (const [k, b] of before) {
    if (!after.has(k)) lines.push({ line: k, change: "removed", tokens: b.tokens, amount: b.amount });
  }
  const label = stored.number ?? stored.id;
  return {
    kind: "invoice_differs",
    message: `invoice ${label} (${stored.status}) of customer ${stored.customer_id} is kept; this run computed total ${draft.totals.total} instead of ${stored.total} ${stored.currency_code} minor units (tokens ${draft.tokens} instead of ${stored.tokens})`,
    customerId: stored.customer_id,
    billingUserId: stored.customer_id,
    details: {
      invoice_id: stored.id,
      number: stored.number,
      status: stored.status,
      total: { stored: stored.total, now: draft.totals.total },
      tokens: { stored: stored.tokens, now: draft.tokens },
      currency: { stored: stored.currency_code, now: draft.facts.currency.code },
      lines,
    },
  };
}
