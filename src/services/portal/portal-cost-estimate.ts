import { currentMonthSoFar } from "../../billing/runs/recorded-period-bounds.ts";
import { configuredSolusioApi } from "../../billing/usage/configured-solusio.ts";
import { SolusioUsageSource } from "../../billing/usage/solusio-usage-source.ts";
import { usageSourcesFromConfig } from "../../billing/usage/usage-sources-from-config.ts";
import type { UsageSource } from "../../domain/usage-record.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { Decimal } from "../../domain/decimal.ts";
import { toMinorUnits } from "../../domain/money.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { loadPricingFacts } from "../pricing/get-token-pricing.ts";
import { portalCustomerId } from "./portal-customer.ts";

// "This month so far" on the portal's overview: each server's tokens from the billed usage source for the
// month to date, times the price per token this customer sees in SolusIO (GetTokenPricing's
// user_token_unit_cost U: base cost × discounts × taxes, billing-rules §3). An estimate, and labelled so:
// usage still accrues, and the invoice rounds its discounts and taxes once over all lines (§4).

export interface ServerEstimate {
  server: { id: number; name: string };
  plans: string[];
  tokens: bigint;
  /** tokens × U, rounded to the currency's minor units. */
  amount: bigint;
}

export interface CostEstimate {
  /** [start, end): the month in BILLING_TIME_ZONE (as its run bounds it), up to the start of the current hour. */
  period: { start: Date; end: Date };
  available: boolean;
  currency: string;
  /** U as GetTokenPricing gives it (exact decimal text). */
  unit_price: string;
  servers: ServerEstimate[];
  total: bigint;
}

export const portalCostEstimate = defineVerb(NoInput, async ({ ctx }): Promise<CostEstimate> => {
  const customerId = portalCustomerId(ctx);
  // Whole hours only: usage sources bill begun hours (billing-rules §2.1), and SolusIO echoes the period. The
  // month starts where its billing run will start it: after a change of BILLING_TIME_ZONE, where the month
  // billed before ended (period-tiling.ts).
  const { start, end } = await currentMonthSoFar(ctx.db, ctx.now(), ctx.config.BILLING_TIME_ZONE);
  const facts = await loadPricingFacts(ctx.db, customerId);
  const base = {
    period: { start, end },
    currency: facts.currency.code,
    unit_price: facts.user.normalize().toString(),
  };
  const servers = new Map<number, { name: string; plans: string[]; tokens: bigint }>();
  if (end > start) {
    try {
      const source = pageSource(ctx);
      for await (const record of source.fetchUsage({ start, end, billingUserId: customerId })) {
        if (record.billingUserId !== customerId) continue;
        const entry = servers.get(record.server.id) ?? { name: record.server.name, plans: [], tokens: 0n };
        if (!entry.plans.includes(record.plan.name)) entry.plans.push(record.plan.name);
        entry.tokens += record.tokens + record.additionalIps.tokens + (record.backups?.tokens ?? 0n);
        servers.set(record.server.id, entry);
      }
    } catch (error) {
      // SolusIO down or not configured: the page still opens, saying the estimate is not available.
      ctx.logger.warn({ err: error, customerId: String(customerId) }, "portal cost estimate unavailable");
      return { ...base, available: false, servers: [], total: 0n };
    }
  }
  const list = [...servers].map(([id, s]) => ({
    server: { id, name: s.name },
    plans: s.plans,
    tokens: s.tokens,
    amount: toMinorUnits(
      facts.user.mul(Decimal.fromBigInt(s.tokens)),
      facts.currency.decimals,
      ctx.config.ROUNDING_MODE,
    ),
  }));
  list.sort((a, b) => a.server.id - b.server.id);
  return { ...base, available: true, servers: list, total: list.reduce((sum, s) => sum + s.amount, 0n) };
});

/**
 * The billed usage source, for a page: SolusIO's usage endpoint is asked with a deadline of a few seconds
 * for all its pages and no retries (SolusioApi.interactive), so a slow SolusIO gives "not available right
 * now" in seconds instead of the page waiting out the client's retries (over a minute at the default
 * SOLUSIO_TIMEOUT_MS, past a reverse proxy's timeout).
 */
function pageSource(ctx: ServiceContext): UsageSource {
  if (ctx.config.USAGE_SOURCE !== "solusio") return usageSourcesFromConfig(ctx).source;
  return new SolusioUsageSource(configuredSolusioApi(ctx).interactive(), ctx.config.SOLUSIO_USAGE_PATH);
}
