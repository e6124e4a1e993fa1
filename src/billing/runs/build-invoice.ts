import { createHash } from "node:crypto";
import type { InvoiceLineCharge } from "../../db/schema.ts";
import type { Decimal, RoundingMode } from "../../domain/decimal.ts";
import { computeInvoiceTotals, type InvoiceTotals, type TaxRounding } from "../../domain/invoice-math.ts";
import type { PricingFacts } from "../../services/pricing/pricing-facts.ts";
import type { BillableUsage } from "./recompute-usage.ts";
import { BIGINT_MAX } from "./books-range.ts";

export interface DraftLine {
  kind: "server" | "additional_ips" | "backups";
  serverId: number;
  serverUuid: string;
  serverName: string;
  planId: number | null;
  planName: string;
  /** Backup lines only: the plan's backup_price in percent. */
  backupPercent: string | null;
  serverCreatedAt: Date;
  serverDeletedAt: Date | null;
  quantity: bigint;
  hours: bigint;
  charge: InvoiceLineCharge;
  tokens: bigint;
  recomputedTokens: bigint;
  amount: bigint;
}

/** One customer's invoice for one period, before it is written: lines and totals of billing-rules §4. */
export interface DraftInvoice {
  customerId: bigint;
  facts: PricingFacts;
  base: Decimal;
  lines: DraftLine[];
  tokens: bigint;
  totals: InvoiceTotals;
  discounts: { name: string; multiplier: string; amount: bigint }[];
  taxes: { label: string; rate: string; amount: bigint }[];
  fingerprint: string;
}

/**
 * Lines in server-id order; for each server, per plan it ran on (billing-rules §2.2) in the order the plans
 * held: the runtime line, the additional-IPs line when it had IPs, the backup line when backups were on. Then
 * computeInvoiceTotals with the customer's B, discounts (named multipliers) and taxes from PricingSnapshot.
 * Deterministic: the same usage and pricing always give the same invoice and the same fingerprint.
 */
export function buildInvoice(
  usages: readonly BillableUsage[],
  facts: PricingFacts,
  rounding: RoundingMode,
  taxRounding: TaxRounding = "per_invoice",
): DraftInvoice {
  // Stable: a server's plan groups keep the order the source gave them. One usage needs no sorting.
  const sorted = usages.length > 1 ? [...usages].sort((a, b) => a.serverId - b.serverId) : usages;
  // Each line is made once, whole (its amount set once the totals are known): a run drafts millions of
  // them, and copies made with spreads cost a second object a line and most of drafting's garbage.
  const lines: DraftLine[] = [];
  for (const u of sorted) {
    const createdAt = new Date(u.createdAt);
    const deletedAt = u.deletedAt === null ? null : new Date(u.deletedAt);
    lines.push(
      lineOf("server", u, createdAt, deletedAt, null, 1n, u.hours, u.charge, u.tokens, u.recomputedTokens),
    );
    if (u.ipCount > 0n) {
      lines.push(
        lineOf(
          "additional_ips",
          u,
          createdAt,
          deletedAt,
          null,
          u.ipCount,
          u.ipHours,
          u.ipCharge,
          u.ipTokens,
          u.recomputedIpTokens,
        ),
      );
    }
    if (u.backupPercent !== null) {
      lines.push(
        lineOf(
          "backups",
          u,
          createdAt,
          deletedAt,
          u.backupPercent,
          1n,
          u.backupHours,
          "backup_share",
          u.backupTokens,
          u.recomputedBackupTokens,
        ),
      );
    }
  }
  const totals = computeInvoiceTotals({
    lines,
    base: facts.base,
    discounts: facts.multipliers,
    taxes: facts.taxes,
    taxExempt: facts.taxExempt,
    exponent: facts.currency.decimals,
    rounding,
    taxRounding,
  });
  for (let i = 0; i < lines.length; i++) lines[i]!.amount = totals.lineAmounts[i]!;
  const discounts = totals.discounts.map((d, i) => ({
    name: d.name,
    multiplier: facts.multipliers[i]!.multiplier.toString(),
    amount: d.amount,
  }));
  const taxes = totals.taxes.map((t) => ({ label: t.label, rate: t.rate.toString(), amount: t.amount }));
  const tokens = lines.reduce((sum, l) => sum + l.tokens, 0n);
  // Bigints as their decimal text, as fingerprintOf's replacer writes them: the same text, without a
  // replacer call per value (a tenth of drafting's CPU).
  const fingerprint = fingerprintOfPlain({
    currency: facts.currency.code,
    base: facts.base.toString(),
    lines: lines.map((l) => [
      l.kind,
      l.serverId,
      l.planId,
      l.planName,
      l.backupPercent,
      l.quantity.toString(),
      l.hours.toString(),
      l.charge,
      l.tokens.toString(),
      l.amount.toString(),
    ]),
    discounts: discounts.map((d) => [d.name, d.multiplier, d.amount.toString()]),
    taxes: [facts.taxes.compound, taxes.map((t) => [t.label, t.rate, t.amount.toString()])],
    total: totals.total.toString(),
  });
  return {
    customerId: facts.customerId,
    facts,
    base: facts.base,
    lines,
    tokens,
    totals,
    discounts,
    taxes,
    fingerprint,
  };
}

/** One line of a server's plan group, every field in one object literal (one shape for all lines). */
function lineOf(
  kind: DraftLine["kind"],
  u: BillableUsage,
  serverCreatedAt: Date,
  serverDeletedAt: Date | null,
  backupPercent: string | null,
  quantity: bigint,
  hours: bigint,
  charge: InvoiceLineCharge,
  tokens: bigint,
  recomputedTokens: bigint,
): DraftLine {
  return {
    kind,
    serverId: u.serverId,
    serverUuid: u.serverUuid,
    serverName: u.serverName,
    planId: u.planId,
    planName: u.planName,
    serverCreatedAt,
    serverDeletedAt,
    backupPercent,
    quantity,
    hours,
    charge,
    tokens,
    recomputedTokens,
    // Set by buildInvoice once the invoice's totals have rounded every line (billing-rules §4).
    amount: 0n,
  };
}

/** A short hash of everything that makes an invoice's figures, to compare a re-run with what is stored. */
export function fingerprintOf(content: unknown): string {
  const text = JSON.stringify(content, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** fingerprintOf of content that holds no bigint (they are already strings). */
function fingerprintOfPlain(content: unknown): string {
  return createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 32);
}

/**
 * Why this draft cannot be written, or undefined when it can (books-range.ts). The subtotal and the total
 * bound every line, discount and tax, which are never negative.
 */
export function invoiceOutOfRange(draft: DraftInvoice): string | undefined {
  const { subtotal, total } = draft.totals;
  // biome-ignore lint/complexity/useMathMinMax: bigints; Math.max throws on them.
  const largest = subtotal > total ? subtotal : total;
  const code = draft.facts.currency.code;
  if (largest > BIGINT_MAX)
    return `customer ${draft.customerId}'s invoice comes to ${largest} minor units of ${code}, more than an invoice can hold (${BIGINT_MAX}); check ${code}'s token unit cost and the plan prices`;
  if (draft.tokens > BIGINT_MAX)
    return `customer ${draft.customerId}'s invoice counts ${draft.tokens} tokens, more than an invoice can hold (${BIGINT_MAX}); check the plan prices in tokens`;
  return undefined;
}
