import { buildInvoice } from "../../billing/runs/build-invoice.ts";
import { type BillableUsage, recomputeUsage } from "../../billing/runs/recompute-usage.ts";
import { usageSourcesFromConfig } from "../../billing/usage/usage-sources-from-config.ts";
import { monthSoFar } from "../../domain/periods.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { PricingSnapshot } from "../pricing/pricing-snapshot.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

export interface MonthToDateEstimate {
  /** The billing month so far (BILLING_TIME_ZONE): [start, end), end being the start of the current hour. */
  period: { start: string; end: string };
  /** Whether the usage source answered; when not, `problem` says why and the figures are empty. */
  available: boolean;
  problem: string | null;
  customers: number;
  servers: number;
  tokens: bigint;
  /** What invoicing the usage so far would come to, per currency (minor units, taxes included). */
  revenue: { currency: string; amount: bigint; customers: number }[];
}

/**
 * This month's accruing usage and what it would bill, as an estimate: the billed usage source read for the
 * month so far, priced the way a billing run prices it (recomputeUsage, buildInvoice, PricingSnapshot), and
 * nothing written. The month's invoice may differ: usage still accrues, and prices may change.
 */
export const monthToDateEstimate = defineVerb(NoInput, async ({ ctx }): Promise<MonthToDateEstimate> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  // The billing period so far, in the billing time zone: the month a run will invoice.
  const { start, end } = monthSoFar(ctx.now(), ctx.config.BILLING_TIME_ZONE);
  const period = { start: start.toISOString(), end: end.toISOString() };
  const empty = { customers: 0, servers: 0, tokens: 0n, revenue: [] };
  if (end <= start) return { period, available: true, problem: null, ...empty };

  const usage = new Map<bigint, BillableUsage[]>();
  const servers = new Set<number>();
  try {
    const { source } = usageSourcesFromConfig(ctx);
    for await (const record of source.fetchUsage({ start, end })) {
      if (record.billingUserId === null) continue; // not a customer of billing: nobody to invoice
      const list = usage.get(record.billingUserId) ?? [];
      list.push(recomputeUsage(record).usage);
      usage.set(record.billingUserId, list);
      servers.add(record.server.id);
    }
  } catch (error) {
    return { period, available: false, problem: (error as Error).message, ...empty };
  }

  const pricing = await PricingSnapshot.load(ctx.db, [...usage.keys()]);
  const revenue = new Map<string, { amount: bigint; customers: number }>();
  let tokens = 0n;
  let customers = 0;
  for (const [customerId, usages] of usage) {
    let facts: ReturnType<PricingSnapshot["facts"]>;
    try {
      facts = pricing.facts(customerId);
    } catch {
      continue; // usage of a customer billing does not know: a billing run reports it as an anomaly
    }
    const draft = buildInvoice(usages, facts, ctx.config.ROUNDING_MODE, ctx.config.TAX_ROUNDING);
    const sum = revenue.get(facts.currency.code) ?? { amount: 0n, customers: 0 };
    revenue.set(facts.currency.code, {
      amount: sum.amount + draft.totals.total,
      customers: sum.customers + 1,
    });
    tokens += draft.tokens;
    customers += 1;
  }
  return {
    period,
    available: true,
    problem: null,
    customers,
    servers: servers.size,
    tokens,
    revenue: [...revenue].sort(([a], [b]) => a.localeCompare(b)).map(([currency, r]) => ({ currency, ...r })),
  };
});
