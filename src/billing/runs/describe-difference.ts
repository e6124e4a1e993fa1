import { Decimal } from "../../domain/decimal.ts";
import type { Anomaly } from "./anomaly.ts";

interface StoredInvoice {
  id: string;
  customer_id: bigint;
  status: string;
  number: string | null;
  total: bigint;
  tokens: bigint;
  currency_code: string;
  /** As the invoice row keeps them (jsonb): amounts are decimal strings of minor units. */
  discounts: unknown;
  taxes: unknown;
}

interface StoredLine {
  position: number;
  kind: string;
  server_id: bigint;
  plan_id: bigint | null;
  tokens: bigint;
  amount: bigint;
}

/** What describeDifference reads of a recomputed invoice (a DraftInvoice). */
export interface ComputedInvoice {
  facts: { currency: { code: string } };
  lines: readonly { kind: string; serverId: number; planId: number | null; tokens: bigint; amount: bigint }[];
  tokens: bigint;
  totals: { total: bigint };
  discounts: readonly { name: string; multiplier: string; amount: bigint }[];
  taxes: readonly { label: string; rate: string; amount: bigint }[];
}

/**
 * What changed between a stored invoice and a recomputation: totals; each line added, gone or changed; and each
 * discount and tax whose name, multiplier or rate, or amount changed.
 */
export function describeDifference(
  stored: StoredInvoice,
  storedLines: readonly StoredLine[],
  draft: ComputedInvoice,
): Anomaly {
  const before = keyedLines(
    [...storedLines]
      .sort((a, b) => a.position - b.position)
      .map((l) => ({
        kind: l.kind,
        server: l.server_id,
        plan: l.plan_id,
        tokens: l.tokens,
        amount: l.amount,
      })),
  );
  const after = keyedLines(
    draft.lines.map((l) => ({
      kind: l.kind,
      server: l.serverId,
      plan: l.planId,
      tokens: l.tokens,
      amount: l.amount,
    })),
  );
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
  const discounts = compareInOrder(
    storedAdjustments(stored.discounts, "name", "multiplier"),
    draft.discounts.map((d) => ({ name: d.name, factor: d.multiplier, amount: d.amount })),
    "multiplier",
  );
  const taxes = compareInOrder(
    storedAdjustments(stored.taxes, "label", "rate"),
    draft.taxes.map((t) => ({ name: t.label, factor: t.rate, amount: t.amount })),
    "rate",
  );
  const parts = Object.entries({ lines, discounts, taxes })
    .filter(([, list]) => list.length > 0)
    .map(([name]) => name);
  const label = stored.number ?? stored.id;
  const where = parts.length > 0 ? `; ${parts.join(", ")} differ` : "";
  return {
    kind: "invoice_differs",
    message: `invoice ${label} (${stored.status}) of customer ${stored.customer_id} is kept; this run computed total ${draft.totals.total} instead of ${stored.total} ${stored.currency_code} minor units (tokens ${draft.tokens} instead of ${stored.tokens})${where}`,
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
      discounts,
      taxes,
    },
  };
}

interface KeyedLine {
  kind: string;
  server: bigint | number;
  plan: bigint | number | null;
  tokens: bigint;
  amount: bigint;
}

/**
 * Lines by (kind, server, plan): a server resized in the period has a line per plan (billing-rules §2.2), so
 * the server alone does not name a line. The same key twice is told apart by its order ("#2").
 */
function keyedLines(lines: readonly KeyedLine[]): Map<string, KeyedLine> {
  const keyed = new Map<string, KeyedLine>();
  for (const l of lines) {
    const base = `${l.kind}:${l.server}${l.plan === null ? "" : ` plan:${l.plan}`}`;
    let key = base;
    for (let n = 2; keyed.has(key); n++) key = `${base} #${n}`;
    keyed.set(key, l);
  }
  return keyed;
}

interface Adjustment {
  name: string;
  /** A discount's multiplier or a tax's rate, exact decimal text. */
  factor: string;
  amount: bigint;
}

function storedAdjustments(list: unknown, name: string, factor: string): Adjustment[] {
  if (!Array.isArray(list)) return [];
  return list.map((x: Record<string, unknown>) => ({
    name: String(x[name] ?? ""),
    factor: String(x[factor] ?? ""),
    amount: BigInt(String(x.amount ?? "0")),
  }));
}

/** Discounts and taxes apply in order (billing-rules §4.3, §4.4), so the nth is compared with the nth. */
function compareInOrder(
  stored: readonly Adjustment[],
  now: readonly Adjustment[],
  factorName: "multiplier" | "rate",
): Record<string, unknown>[] {
  const changes: Record<string, unknown>[] = [];
  for (let i = 0; i < Math.max(stored.length, now.length); i++) {
    const b = stored[i];
    const a = now[i];
    if (b === undefined && a !== undefined) {
      changes.push({ name: a.name, change: "added", [factorName]: a.factor, amount: a.amount });
    } else if (a === undefined && b !== undefined) {
      changes.push({ name: b.name, change: "removed", [factorName]: b.factor, amount: b.amount });
    } else if (a !== undefined && b !== undefined) {
      if (a.name === b.name && sameDecimal(a.factor, b.factor) && a.amount === b.amount) continue;
      changes.push({
        name: a.name === b.name ? a.name : { stored: b.name, now: a.name },
        change: "changed",
        [factorName]: { stored: b.factor, now: a.factor },
        amount: { stored: b.amount, now: a.amount },
      });
    }
  }
  return changes;
}

/** "19" and "19.00" are the same rate: numeric columns and JSON keep different scales. */
function sameDecimal(a: string, b: string): boolean {
  try {
    return Decimal.parse(a, "factor").toString() === Decimal.parse(b, "factor").toString();
  } catch {
    return a === b;
  }
}
