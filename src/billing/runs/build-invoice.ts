import { createHash } from "node:crypto";
import type { ChargeKind } from "../../domain/charges.ts";
import type { Decimal, RoundingMode } from "../../domain/decimal.ts";
import { computeInvoiceTotals, type InvoiceTotals } from "../../domain/invoice-math.ts";
import type { PricingFacts } from "../../services/pricing/pricing-facts.ts";
import type { BillableUsage } from "./recompute-usage.ts";

export interface DraftLine {
  kind: "server" | "additional_ips";
  serverId: number;
  serverUuid: string;
  serverName: string;
  planName: string;
  serverCreatedAt: Date;
  serverDeletedAt: Date | null;
  quantity: bigint;
  hours: bigint;
  charge: ChargeKind;
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
 * Lines (one per server, one more per server with additional IPs, in server-id order), then
 * computeInvoiceTotals with the customer's B, discounts (named multipliers) and taxes from PricingSnapshot.
 * Deterministic: the same usage and pricing always give the same invoice and the same fingerprint.
 */
export function buildInvoice(
  usages: readonly BillableUsage[],
  facts: PricingFacts,
  rounding: RoundingMode,
): DraftInvoice {
  const sorted = [...usages].sort((a, b) => a.serverId - b.serverId);
  const partial: Omit<DraftLine, "amount">[] = [];
  for (const u of sorted) {
    const common = {
      serverId: u.serverId,
      serverUuid: u.serverUuid,
      serverName: u.serverName,
      planName: u.planName,
      serverCreatedAt: new Date(u.createdAt),
      serverDeletedAt: u.deletedAt === null ? null : new Date(u.deletedAt),
    };
    partial.push({
      kind: "server",
      ...common,
      quantity: 1n,
      hours: u.hours,
      charge: u.charge,
      tokens: u.tokens,
      recomputedTokens: u.recomputedTokens,
    });
    if (u.ipCount > 0n) {
      partial.push({
        kind: "additional_ips",
        ...common,
        quantity: u.ipCount,
        hours: u.ipHours,
        charge: u.ipCharge,
        tokens: u.ipTokens,
        recomputedTokens: u.recomputedIpTokens,
      });
    }
  }
  const totals = computeInvoiceTotals({
    lines: partial,
    base: facts.base,
    discounts: facts.multipliers,
    taxes: facts.taxes,
    taxExempt: facts.taxExempt,
    exponent: facts.currency.decimals,
    rounding,
  });
  const lines = partial.map((l, i) => ({ ...l, amount: totals.lineAmounts[i]! }));
  const discounts = totals.discounts.map((d, i) => ({
    name: d.name,
    multiplier: facts.multipliers[i]!.multiplier.toString(),
    amount: d.amount,
  }));
  const taxes = totals.taxes.map((t) => ({ label: t.label, rate: t.rate.toString(), amount: t.amount }));
  const tokens = lines.reduce((sum, l) => sum + l.tokens, 0n);
  const fingerprint = fingerprintOf({
    currency: facts.currency.code,
    base: facts.base.toString(),
    lines: lines.map((l) => [
      l.kind,
      l.serverId,
      l.planName,
      l.quantity,
      l.hours,
      l.charge,
      l.tokens,
      l.amount,
    ]),
    discounts: discounts.map((d) => [d.name, d.multiplier, d.amount]),
    taxes: [facts.taxes.compound, taxes.map((t) => [t.label, t.rate, t.amount])],
    total: totals.total,
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

/** A short hash of everything that makes an invoice's figures, to compare a re-run with what is stored. */
export function fingerprintOf(content: unknown): string {
  const text = JSON.stringify(content, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
